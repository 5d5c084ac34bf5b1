import { api, errorOf, jsonInit } from "../helpers/http";
import { registerImage } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";
import { createV2, showV2 } from "../helpers/v2";

const BASE_KEYS = [
	"id",
	"name",
	"status",
	"visibility",
	"protected",
	"os_hidden",
	"checksum",
	"os_hash_algo",
	"os_hash_value",
	"owner",
	"size",
	"virtual_size",
	"container_format",
	"disk_format",
	"min_disk",
	"min_ram",
	"tags",
	"created_at",
	"updated_at",
	"self",
	"file",
	"schema",
];

describe("POST /v2/images", () => {
	it("answers 201 with the image, shared by default, and an absolute Location", async () => {
		const res = await api(
			"/v2/images",
			jsonInit({
				name: "cirros",
				disk_format: "qcow2",
				container_format: "bare",
				os_distro: "cirros",
			}),
		);
		expect(res.status).toBe(201);
		expect(res.headers.get("content-type")).toBe("application/json");
		const image = (await res.json()) as Record<string, unknown>;
		expect(res.headers.get("location")).toBe(`https://glance.test/v2/images/${image.id}`);
		expect(Object.keys(image).sort()).toEqual([...BASE_KEYS, "os_distro"].sort());
		expect(image).toMatchObject({
			name: "cirros",
			status: "queued",
			visibility: "shared",
			protected: false,
			os_hidden: false,
			size: null,
			checksum: null,
			owner: "tenant-a",
			tags: [],
			min_disk: 0,
			min_ram: 0,
			os_distro: "cirros",
			self: `/v2/images/${image.id}`,
			file: `/v2/images/${image.id}/file`,
			schema: "/v2/schemas/image",
		});
		expect(image.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
		await expectInvariants();
	});

	it("needs nothing: an empty object registers an image with no name or formats", async () => {
		const image = await createV2({});
		expect(image).toMatchObject({ name: null, disk_format: null, container_format: null });
	});

	it("takes an id, tags, visibility, protected, os_hidden, min_*", async () => {
		const id = crypto.randomUUID();
		const image = await createV2({
			id,
			tags: ["a", "b", "a"],
			visibility: "private",
			protected: true,
			os_hidden: true,
			min_disk: 2,
			min_ram: 512,
		});
		expect(image).toMatchObject({ id, visibility: "private", protected: true, os_hidden: true });
		expect(image.tags.sort()).toEqual(["a", "b"]);
		const dup = await api("/v2/images", jsonInit({ id }));
		expect(dup.status).toBe(409);
	});

	it.each([
		[{ self: "x" }, 403, "Attribute 'self' is read-only."],
		[{ status: "active" }, 403, "Attribute 'status' is read-only."],
		[{ size: 3 }, 403, "read-only"],
		[{ locations: [] }, 403, "reserved"],
		[{ os_glance_x: "1" }, 403, "Attribute 'os_glance_x' is reserved."],
		[{ deleted: "1" }, 403, "reserved"],
		[{ name: 3 }, 400, "Provided object does not match schema 'image'"],
		[{ visibility: "everyone" }, 400, "does not match schema"],
		[{ disk_format: "floppy" }, 400, "does not match schema"],
		[{ os_distro: 3 }, 400, "does not match schema"],
		[{ id: "not-a-uuid" }, 400, "does not match schema"],
		[{ tags: ["x".repeat(256)] }, 400, "does not match schema"],
		[{ min_ram: -1 }, 400, "Cannot be a negative value"],
		[{ min_disk: 2 ** 31 }, 400, "must not exceed 2147483647"],
		[{ ["k".repeat(256)]: "v" }, 400, "Custom property should not be greater than 255 characters."],
		[{ visibility: "public" }, 403, "You are not authorized to complete publicize_image action."],
		[{ owner: "tenant-b" }, 403, "You are not permitted to create images owned by 'tenant-b'."],
	])("refuses %j with %i", async (body, status, message) => {
		const res = await api("/v2/images", jsonInit(body));
		expect(res.status).toBe(status);
		expect((await errorOf(res)).message).toContain(message);
	});

	it("refuses bodies that are not JSON objects", async () => {
		const cases: [string, string][] = [
			["{", "Malformed JSON in request body."],
			["[]", "Unexpected body type. Expected list/dict."],
			["3", "Unexpected body type. Expected list/dict."],
			["", "Body expected in request."],
		];
		for (const [body, message] of cases) {
			const res = await api("/v2/images", { method: "POST", body });
			expect(res.status).toBe(400);
			expect((await errorOf(res)).message).toBe(message);
		}
	});

	it("lets admins publicize and choose an owner; community is the owner's to choose", async () => {
		const image = await createV2({ visibility: "public", owner: "tenant-z" }, "admin");
		expect(image).toMatchObject({ visibility: "public", owner: "tenant-z" });
		expect((await createV2({ visibility: "community" })).visibility).toBe("community");
	});
});

describe("GET /v2/images/{id}", () => {
	it("shows a v1 image in the v2 view: is_public false → shared, timestamps with Z", async () => {
		const v1 = await registerImage({ properties: { os_distro: "debian" } });
		const image = await showV2(v1.id);
		expect(image).toMatchObject({
			id: v1.id,
			visibility: "shared",
			os_distro: "debian",
			size: 0,
			tags: [],
		});
		expect(image.created_at).toBe(`${v1.created_at.slice(0, 19)}Z`);
	});

	it("shows a v2 image in the v1 view with is_public derived from visibility", async () => {
		const image = await createV2(
			{ name: "p", visibility: "public", disk_format: "raw", container_format: "bare" },
			"admin",
		);
		const res = await api(`/v1/images/${image.id}`, { method: "HEAD" });
		expect(res.headers.get("x-image-meta-is_public")).toBe("True");
	});

	it("hides private images from others (404) and shows community ones", async () => {
		const priv = await createV2({ visibility: "private" });
		expect((await api(`/v2/images/${priv.id}`, { as: "other" })).status).toBe(404);
		const community = await createV2({ visibility: "community" });
		expect((await api(`/v2/images/${community.id}`, { as: "other" })).status).toBe(200);
	});

	it("answers 404 for unknown ids and deleted images (admins too)", async () => {
		expect((await api(`/v2/images/${crypto.randomUUID()}`)).status).toBe(404);
		const image = await createV2({});
		expect((await api(`/v2/images/${image.id}`, { method: "DELETE" })).status).toBe(204);
		expect((await api(`/v2/images/${image.id}`, { as: "admin" })).status).toBe(404);
	});
});

describe("DELETE /v2/images/{id}", () => {
	it("answers 204 with an empty non-JSON body; the id is never reused", async () => {
		const image = await createV2({});
		const res = await api(`/v2/images/${image.id}`, { method: "DELETE" });
		expect(res.status).toBe(204);
		expect(res.headers.get("content-type")).not.toMatch(/json/);
		expect(await res.text()).toBe("");
		expect((await api("/v2/images", jsonInit({ id: image.id }))).status).toBe(409);
		await expectInvariants();
	});

	it("refuses a member of a shared image with 403, as Glance v2 does (v1 answers 404)", async () => {
		const v1 = await registerImage();
		expect((await api(`/v1/images/${v1.id}/members/tenant-b`, { method: "PUT" })).status).toBe(204);
		expect((await api(`/v2/images/${v1.id}`, { method: "DELETE", as: "other" })).status).toBe(403);
		expect((await api(`/v1/images/${v1.id}`, { method: "DELETE", as: "other" })).status).toBe(404);
	});

	it("refuses a protected image (403) and a non-owner (403 or 404)", async () => {
		const image = await createV2({ protected: true });
		const res = await api(`/v2/images/${image.id}`, { method: "DELETE" });
		expect(res.status).toBe(403);
		const shared = await createV2({ visibility: "community" });
		expect((await api(`/v2/images/${shared.id}`, { method: "DELETE", as: "other" })).status).toBe(
			403,
		);
		const priv = await createV2({ visibility: "private" });
		expect((await api(`/v2/images/${priv.id}`, { method: "DELETE", as: "other" })).status).toBe(
			404,
		);
	});
});

describe("v2 routes and methods", () => {
	it.each([
		["PUT", "/v2/images", "GET, POST"],
		["POST", `/v2/images/${crypto.randomUUID()}`, "GET, PATCH, DELETE"],
		["POST", `/v2/images/${crypto.randomUUID()}/file`, "GET, PUT"],
		["GET", `/v2/images/${crypto.randomUUID()}/tags/x`, "PUT, DELETE"],
		["GET", `/v2/images/${crypto.randomUUID()}/actions/deactivate`, "POST"],
		["POST", "/v2/schemas/image", "GET"],
	])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
		const res = await api(path, { method });
		expect(res.status).toBe(405);
		expect(res.headers.get("allow")).toBe(allow);
	});

	it("needs a token", async () => {
		const res = await api("/v2/images", { as: "anonymous" });
		expect(res.status).toBe(401);
		expect((await errorOf(res)).code).toBe(401);
	});

	it("routes every v2 alias to the same API", async () => {
		const image = await createV2({});
		for (const prefix of ["/v2.0", "/v2.1", "/v2.9", "/v2.15"]) {
			expect((await api(`${prefix}/images/${image.id}`)).status).toBe(200);
		}
		expect((await api("/v2.8/images")).status).toBe(300);
	});
});

describe("one image, two views (glance-v2-contract §10)", () => {
	it("maps a v1 write of is_public to a visibility; v1 requests without it leave it alone", async () => {
		const image = await createV2({ visibility: "private" });
		const name = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-name": "renamed", "x-glance-registry-purge-props": "false" },
		});
		expect(name.status).toBe(200);
		expect((await showV2(image.id)).visibility).toBe("private");
		const res = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-is_public": "false", "x-glance-registry-purge-props": "false" },
		});
		expect(res.status).toBe(200);
		expect((await showV2(image.id)).visibility).toBe("shared");
	});

	it("gives a v1 member no access once the image is private", async () => {
		const v1 = await registerImage();
		const add = await api(`/v1/images/${v1.id}/members/tenant-b`, { method: "PUT" });
		expect(add.status).toBe(204);
		expect((await api(`/v2/images/${v1.id}`, { as: "other" })).status).toBe(200);
		const patch = await api(`/v2/images/${v1.id}`, {
			method: "PATCH",
			headers: { "content-type": "application/openstack-images-v2.1-json-patch" },
			body: JSON.stringify([{ op: "replace", path: "/visibility", value: "private" }]),
		});
		expect(patch.status).toBe(200);
		expect((await api(`/v2/images/${v1.id}`, { as: "other" })).status).toBe(404);
		expect((await api(`/v1/images/${v1.id}`, { method: "HEAD", as: "other" })).status).toBe(404);
		const list = await api("/v1/images", { as: "other" });
		const ids = ((await list.json()) as { images: { id: string }[] }).images.map((i) => i.id);
		expect(ids).not.toContain(v1.id);
	});

	it("keeps v1 records free of the v2 view's fields", async () => {
		const image = await createV2({ name: "v", tags: ["t"], os_hidden: true });
		const res = await api(`/v1/images/${image.id}`, { headers: { accept: "application/json" } });
		const record = ((await res.json()) as { image: Record<string, unknown> }).image;
		for (const key of ["visibility", "os_hidden", "tags"]) expect(record).not.toHaveProperty(key);
		expect(record.is_public).toBe(false);
	});
});
