import { env } from "cloudflare:workers";
import { objectKeyFor } from "../../src/domain/image";
import { chunkedStream, md5Hex, randomBytes, sha512Hex } from "../helpers/bytes";
import { REGISTRATION } from "../helpers/fixtures";
import { api, type Caller, errorOf, postJson } from "../helpers/http";
import {
	type ImageRecord,
	registerActive,
	registerImageByHeaders,
	storedProperties,
	storedRow,
} from "../helpers/images";

const MERGE = { "x-glance-registry-purge-props": "false" };

function props(values: Record<string, string>): Record<string, string> {
	return Object.fromEntries(
		Object.entries(values).map(([k, v]) => [`x-image-meta-property-${k}`, v]),
	);
}

function put(
	id: string,
	headers: Record<string, string> = {},
	init: { as?: Caller; body?: BodyInit } = {},
) {
	const withData = init.body !== undefined;
	return api(`/v1/images/${id}`, {
		method: "PUT",
		as: init.as,
		headers: withData ? { "content-type": "application/octet-stream", ...headers } : headers,
		body: init.body,
		// @ts-expect-error: streaming request bodies need duplex in workerd's types
		duplex: "half",
	});
}

async function putOk(id: string, headers: Record<string, string> = {}, as?: Caller) {
	const res = await put(id, headers, { as });
	expect(res.status).toBe(200);
	return ((await res.json()) as { image: ImageRecord }).image;
}

/** The image row (revision included) and its properties, straight from D1. */
async function stored(id: string) {
	return { ...(await storedRow(id)), properties: await storedProperties(id) };
}

async function objectDigest(id: string): Promise<string | null> {
	const object = await env.IMAGES.get(objectKeyFor(id));
	return object ? sha512Hex(new Uint8Array(await object.arrayBuffer())) : null;
}

/** A chunked body that trickles out `chunk` bytes at a time with a pause before each. */
function slowStream(data: Uint8Array, chunk: number, pauseMs: number): ReadableStream<Uint8Array> {
	let offset = 0;
	return new ReadableStream({
		async pull(controller) {
			await new Promise((resolve) => setTimeout(resolve, pauseMs));
			if (offset >= data.byteLength) return controller.close();
			controller.enqueue(data.slice(offset, offset + chunk));
			offset += chunk;
		},
	});
}

describe("PUT /v1/images/{id} property purge semantics", () => {
	it("replaces the property set when the purge header is absent: a name change wipes them", async () => {
		const image = await registerImageByHeaders(props({ a: "1", b: "2" }));
		const renamed = await putOk(image.id, { "x-image-meta-name": "renamed" });
		expect(renamed).toMatchObject({ name: "renamed", properties: {} });
		expect((await stored(image.id)).properties).toEqual({});
		const replaced = await putOk(image.id, props({ c: "3" }));
		expect(replaced.properties).toEqual({ c: "3" });
		expect(replaced.name).toBe("renamed");
	});

	const merged = { a: "1", b: "20", c: "3" };
	const purged = { b: "20", c: "3" };
	it.each([
		...["false", "False", "0", "no", "", "banana"].map((v) => [v, merged] as const),
		...["true", "TRUE", "1", "yes", "on", "y", "t"].map((v) => [v, purged] as const),
	])("with purge-props %j leaves %j", async (value, expected) => {
		const image = await registerImageByHeaders(props({ a: "1", b: "2" }));
		const res = await putOk(image.id, {
			"x-glance-registry-purge-props": value,
			...props({ b: "20", c: "3" }),
		});
		expect(res.properties).toEqual(expected);
		expect((await stored(image.id)).properties).toEqual(expected);
	});

	it("removes a property sent with an empty value when merging", async () => {
		const image = await registerImageByHeaders(props({ a: "1", b: "2" }));
		const res = await putOk(image.id, { ...MERGE, ...props({ a: "" }) });
		expect(res.properties).toEqual({ b: "2" });
	});
});

describe("PUT /v1/images/{id} response", () => {
	it("answers 200 with the new state and a new updated_at", async () => {
		const image = await registerImageByHeaders();
		await new Promise((resolve) => setTimeout(resolve, 5));
		const res = await put(image.id, {
			...MERGE,
			"x-image-meta-name": "new-name",
			"x-image-meta-min_ram": "512",
			"x-image-meta-protected": "True",
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^application\/json/);
		expect(res.headers.has("location")).toBe(false);
		const body = (await res.json()) as { image: ImageRecord };
		expect(Object.keys(body)).toEqual(["image"]);
		expect(body.image).toMatchObject({
			id: image.id,
			name: "new-name",
			min_ram: 512,
			protected: true,
			status: "queued",
			created_at: image.created_at,
		});
		expect(body.image).not.toHaveProperty("location");
		expect(body.image.updated_at > image.updated_at).toBe(true);
		expect(res.headers.has("etag")).toBe(false);
	});

	it("sends ETag only for an active image with a checksum", async () => {
		const active = await registerActive(randomBytes(100, 21));
		const res = await put(active.id, { ...MERGE, "x-image-meta-name": "x" });
		expect(res.headers.get("etag")).toBe(active.checksum);
		const queued = await registerImageByHeaders({
			"x-image-meta-checksum": "0123456789abcdef0123456789abcdef",
		});
		const again = await put(queued.id, { ...MERGE, "x-image-meta-name": "y" });
		expect(again.status).toBe(200);
		expect(again.headers.has("etag")).toBe(false);
	});
});

describe("PUT /v1/images/{id} read-only and restricted fields", () => {
	it.each([
		["status", () => "queued"],
		["id", () => crypto.randomUUID()],
		["os_hash_value", () => "ab".repeat(64)],
	])("refuses a different %s with 403 and accepts the same value", async (field, other) => {
		const image = await registerActive(randomBytes(64, 22));
		const denied = await put(image.id, { ...MERGE, [`x-image-meta-${field}`]: other() });
		expect(denied.status).toBe(403);
		const error = await errorOf(denied);
		expect(error.message).toBe(`Forbidden to modify '${field}' of image.`);
		expect(error.field).toBe(`x-image-meta-${field}`);
		const value = String(image[field as keyof ImageRecord]);
		const current = field === "id" ? value.toUpperCase() : value;
		const same = await putOk(image.id, { ...MERGE, [`x-image-meta-${field}`]: current });
		expect(same).toMatchObject({ status: "active", id: image.id, checksum: image.checksum });
	});

	it("lets only admins change size and checksum of an active image", async () => {
		const image = await registerActive(randomBytes(500, 23));
		for (const [field, value] of [
			["size", "501"],
			["checksum", "0123456789abcdef0123456789abcdef"],
		]) {
			const denied = await put(image.id, { ...MERGE, [`x-image-meta-${field}`]: value });
			expect(denied.status).toBe(403);
			const error = await errorOf(denied);
			expect(error.message).toBe(`Forbidden to modify '${field}' of active image.`);
			expect(error.field).toBe(`x-image-meta-${field}`);
		}
		await putOk(image.id, {
			...MERGE,
			"x-image-meta-size": "500",
			"x-image-meta-checksum": image.checksum ?? "",
		});
		const res = await put(
			image.id,
			{ ...MERGE, "x-image-meta-size": "501", "x-image-meta-checksum": "f".repeat(32) },
			{ as: "admin" },
		);
		expect(res.status).toBe(200);
		expect(res.headers.get("etag")).toBe("f".repeat(32));
		expect((await res.json()) as { image: ImageRecord }).toMatchObject({
			image: { size: 501, checksum: "f".repeat(32), status: "active" },
		});
	});

	it("lets the owner set size and checksum of a queued image", async () => {
		const image = await registerImageByHeaders();
		const res = await putOk(image.id, {
			...MERGE,
			"x-image-meta-size": "1234",
			"x-image-meta-checksum": "0123456789abcdef0123456789abcdef",
		});
		expect(res).toMatchObject({ size: 1234, checksum: "0123456789abcdef0123456789abcdef" });
	});

	it("lets only admins make an image public", async () => {
		const image = await registerImageByHeaders();
		const denied = await put(image.id, { ...MERGE, "x-image-meta-is_public": "True" });
		expect(denied.status).toBe(403);
		expect((await errorOf(denied)).field).toBe("x-image-meta-is_public");
		expect((await stored(image.id)).is_public).toBe(0);
		await putOk(image.id, { ...MERGE, "x-image-meta-is_public": "False" });
		const res = await putOk(image.id, { ...MERGE, "x-image-meta-is_public": "True" }, "admin");
		expect(res.is_public).toBe(true);
		expect((await api(`/v1/images/${image.id}`, { method: "HEAD", as: "other" })).status).toBe(200);
	});

	it("ignores owner from a non-admin and lets an admin change it", async () => {
		const image = await registerImageByHeaders();
		expect((await putOk(image.id, { ...MERGE, "x-image-meta-owner": "tenant-b" })).owner).toBe(
			"tenant-a",
		);
		const res = await putOk(image.id, { ...MERGE, "x-image-meta-owner": "tenant-b" }, "admin");
		expect(res.owner).toBe("tenant-b");
		expect((await api(`/v1/images/${image.id}`, { method: "HEAD" })).status).toBe(404);
		expect((await api(`/v1/images/${image.id}`, { method: "HEAD", as: "other" })).status).toBe(200);
	});
});

describe("PUT /v1/images/{id} who may update", () => {
	it("answers 403 to an admin and 404 to the owner for a deleted image", async () => {
		const image = await registerImageByHeaders();
		await env.DB.prepare("UPDATE images SET status = 'deleted', deleted = 1 WHERE id = ?1")
			.bind(image.id)
			.run();
		const admin = await put(image.id, { "x-image-meta-name": "zombie" }, { as: "admin" });
		expect(admin.status).toBe(403);
		expect((await errorOf(admin)).message).toBe("Forbidden to update deleted image.");
		const owner = await put(image.id, { "x-image-meta-name": "zombie" });
		expect(owner.status).toBe(404);
		expect((await stored(image.id)).name).toBe("cirros");
	});

	it("answers 404 to another tenant for a private image", async () => {
		const image = await registerImageByHeaders();
		const res = await put(image.id, { "x-image-meta-name": "mine" }, { as: "other" });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).message).toBe(`Image with identifier ${image.id} not found`);
	});

	it("answers 403 to another tenant for a public image", async () => {
		const res = await postJson(
			"/v1/images",
			{ ...REGISTRATION, is_public: true, owner: "tenant-a" },
			{ as: "admin" },
		);
		const { image } = (await res.json()) as { image: ImageRecord };
		const denied = await put(image.id, { "x-image-meta-name": "mine" }, { as: "other" });
		expect(denied.status).toBe(403);
		expect((await errorOf(denied)).message).toContain("Forbidden to update image");
		expect((await stored(image.id)).name).toBe("cirros");
		expect((await putOk(image.id, { ...MERGE, "x-image-meta-name": "ok" })).name).toBe("ok");
	});

	it("answers 404 to a member of a shared private image (not the reference's 500)", async () => {
		const image = await registerImageByHeaders();
		await env.DB.prepare(
			`INSERT INTO image_members (image_id, member, can_share, status, created_at, updated_at, deleted)
			 VALUES (?1, 'tenant-b', 1, 'accepted', ?2, ?2, 0)`,
		)
			.bind(image.id, image.created_at)
			.run();
		expect((await api(`/v1/images/${image.id}`, { method: "HEAD", as: "other" })).status).toBe(200);
		const res = await put(image.id, { "x-image-meta-name": "mine" }, { as: "other" });
		expect(res.status).toBe(404);
		expect((await stored(image.id)).name).toBe("cirros");
	});
});

describe("PUT /v1/images/{id} validation and quota", () => {
	const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, `v${i}`]));

	it("refuses a merge that would exceed the property quota and changes nothing", async () => {
		const eight = Object.fromEntries(Object.entries(ten).slice(0, 8));
		const image = await registerImageByHeaders(props(eight));
		const res = await put(image.id, {
			...MERGE,
			"x-image-meta-name": "over",
			...props({ p0: "changed", x1: "1", x2: "2", x3: "3" }),
		});
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toBe(
			"The limit has been exceeded on the number of allowed image properties. Attempted: 11, Maximum: 10",
		);
		const after = await stored(image.id);
		expect(after).toMatchObject({ name: "cirros", properties: eight });
	});

	it("accepts updates within the quota: replacing values, swapping one, purging down", async () => {
		const image = await registerImageByHeaders(props(ten));
		await putOk(image.id, { ...MERGE, ...props({ p0: "changed" }) });
		const swapped = await putOk(image.id, { ...MERGE, ...props({ p1: "", new: "n" }) });
		expect(Object.keys(swapped.properties)).toHaveLength(10);
		const purged = await putOk(image.id, props({ a: "1", b: "2", c: "3" }));
		expect(purged.properties).toEqual({ a: "1", b: "2", c: "3" });
	});

	it("silently ignores timestamps and deleted sent on update", async () => {
		const image = await registerImageByHeaders();
		const res = await putOk(image.id, {
			...MERGE,
			"x-image-meta-created_at": "2001-01-01T00:00:00",
			"x-image-meta-deleted_at": "2001-01-01T00:00:00",
			"x-image-meta-deleted": "True",
		});
		expect(res).toMatchObject({ created_at: image.created_at, deleted: false, status: "queued" });
	});

	it.each([
		[{ "x-image-meta-disk_format": "floppy" }, "x-image-meta-disk_format", "Invalid disk format"],
		// Glance reads an empty header as None, which is not an allowed format (contract §4.1, §6).
		[{ "x-image-meta-disk_format": "" }, "x-image-meta-disk_format", "Invalid disk format"],
		[
			{ "x-image-meta-container_format": "" },
			"x-image-meta-container_format",
			"Invalid container format",
		],
		[
			{ "x-image-meta-disk_format": "aki", "x-image-meta-container_format": "ami" },
			"x-image-meta-container_format",
			"Invalid mix of disk and container formats",
		],
		[{ "x-image-meta-min_ram": "-1" }, "x-image-meta-min_ram", "Cannot be a negative value"],
		[{ "x-image-meta-name": "n".repeat(256) }, "x-image-meta-name", "Image name too long: 256"],
		[{ "x-image-meta-colour": "red" }, "x-image-meta-colour", "Bad header: x-image-meta-colour"],
	])("refuses %j with 400 naming %s", async (headers, field, message) => {
		const image = await registerImageByHeaders(props({ keep: "me" }));
		const before = await stored(image.id);
		const res = await put(image.id, headers);
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toContain(message);
		expect(error.field).toBe(field);
		expect(await stored(image.id)).toEqual(before);
	});
});

describe("PUT /v1/images/{id} with data", () => {
	it("uploads to a queued image: 200, active, both digests, properties kept", async () => {
		const image = await registerImageByHeaders({
			...props({ a: "1" }),
			"x-image-meta-container_format": "ovf",
		});
		const data = randomBytes(70_000, 24);
		const res = await put(image.id, props({ b: "2" }), { body: data });
		expect(res.status).toBe(200);
		const { image: active } = (await res.json()) as { image: ImageRecord };
		expect(active).toMatchObject({
			status: "active",
			size: data.byteLength,
			checksum: await md5Hex(data),
			os_hash_algo: "sha512",
			os_hash_value: await sha512Hex(data),
			disk_format: "raw",
			container_format: "ovf",
			properties: { a: "1", b: "2" },
		});
		expect(res.headers.get("etag")).toBe(active.checksum);
		expect(await objectDigest(image.id)).toBe(await sha512Hex(data));
	});

	it("never purges properties, even when asked to", async () => {
		const image = await registerImageByHeaders(props({ a: "1" }));
		const purge = { "x-glance-registry-purge-props": "true" };
		const res = await put(image.id, purge, { body: randomBytes(10, 25) });
		expect(res.status).toBe(200);
		expect(((await res.json()) as { image: ImageRecord }).image.properties).toEqual({ a: "1" });
	});

	it("enforces a size stored at registration: mismatch → 400 and killed", async () => {
		const image = await registerImageByHeaders({ "x-image-meta-size": "1000" });
		const res = await put(image.id, {}, { body: chunkedStream(randomBytes(500, 26), 100) });
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe(
			"Supplied size (1000) and size generated from uploaded image (500) did not match. Setting image status to 'killed'.",
		);
		expect((await stored(image.id)).status).toBe("killed");
		expect(await env.IMAGES.head(`images/${image.id}`)).toBeNull();
	});

	it("refuses a Content-Length that disagrees with the stored size before storing anything", async () => {
		// Refused before the first byte is read, so the image stays queued and can be uploaded
		// again (Glance would have killed it; a request we refuse outright changes nothing).
		const declared = await registerImageByHeaders({ "x-image-meta-size": "1000" });
		const early = await put(declared.id, {}, { body: randomBytes(500, 27) });
		expect(early.status).toBe(400);
		expect((await errorOf(early)).message).toBe(
			"Supplied size (1000) and Content-Length (500) do not match; nothing was stored.",
		);
		expect(await env.IMAGES.head(`images/${declared.id}`)).toBeNull();
		expect((await stored(declared.id)).status).toBe("queued");
	});

	it("answers 400 when no disk or container format is known", async () => {
		const image = await registerImageByHeaders();
		await env.DB.prepare(
			"UPDATE images SET disk_format = NULL, container_format = NULL WHERE id = ?1",
		)
			.bind(image.id)
			.run();
		const res = await put(image.id, {}, { body: randomBytes(10, 28) });
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error).toMatchObject({
			message: "Disk format is not specified.",
			field: "x-image-meta-disk_format",
		});
		const raw = { "x-image-meta-disk_format": "raw" };
		const noContainer = await put(image.id, raw, { body: randomBytes(10, 28) });
		expect((await errorOf(noContainer)).message).toBe("Container format is not specified.");
		expect((await stored(image.id)).status).toBe("queued");
		expect(await env.IMAGES.head(`images/${image.id}`)).toBeNull();
	});

	it("answers 409 for data sent to an active image and keeps its bytes", async () => {
		const data = randomBytes(2000, 29);
		const image = await registerActive(data);
		const res = await put(image.id, {}, { body: randomBytes(2000, 30) });
		expect(res.status).toBe(409);
		expect((await errorOf(res)).message).toBe("Cannot upload to an unqueued image");
		expect(await objectDigest(image.id)).toBe(await sha512Hex(data));
		expect((await stored(image.id)).status).toBe("active");
	});
});

describe("concurrent PUTs", () => {
	it("lets exactly one of two concurrent uploads win and keeps the winner's bytes", async () => {
		const image = await registerImageByHeaders();
		const first = randomBytes(40_000, 31);
		const second = randomBytes(40_000, 32);
		const finished: number[] = [];
		const [a, b] = await Promise.all(
			[first, second].map((data, i) =>
				put(image.id, {}, { body: slowStream(data, 4000, 3) }).then((res) => {
					finished.push(i);
					return res;
				}),
			),
		);
		expect([a.status, b.status].sort()).toEqual([200, 409]);
		// The loser is refused while the winner is still streaming: the uploads really overlapped.
		expect(finished[0]).toBe(a.status === 409 ? 0 : 1);
		const winner = a.status === 200 ? first : second;
		const [ok, lost] = a.status === 200 ? [a, b] : [b, a];
		expect((await errorOf(lost)).message).toBe("Cannot upload to an unqueued image");
		const { image: active } = (await ok.json()) as { image: ImageRecord };
		expect(active.checksum).toBe(await md5Hex(winner));
		expect(await objectDigest(image.id)).toBe(await sha512Hex(winner));
	});

	it("never mixes the properties of two concurrent purging updates", async () => {
		for (let round = 0; round < 5; round++) {
			const image = await registerImageByHeaders(props({ old: "1" }));
			const one = { "x-image-meta-name": "one", ...props({ a1: "1", a2: "2" }) };
			const two = { "x-image-meta-name": "two", ...props({ b1: "1", b2: "2", b3: "3" }) };
			const results = await Promise.all([put(image.id, one), put(image.id, two)]);
			for (const res of results) {
				expect([200, 409]).toContain(res.status);
				if (res.status === 409) {
					expect((await errorOf(res)).message).toContain("changed by another request");
				} else await res.body?.cancel();
			}
			const after = await stored(image.id);
			const mine = after.name === "one" ? 0 : 1;
			expect(after.properties).toEqual(
				mine === 0 ? { a1: "1", a2: "2" } : { b1: "1", b2: "2", b3: "3" },
			);
			// The stored state is a successful request's; a refused one left no trace.
			expect(results[mine].status).toBe(200);
		}
	});
});
