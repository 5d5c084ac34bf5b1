// What openstacksdk (and so `openstack --os-image-api-version 1`) sends, request by request, as
// captured from openstacksdk 0.101 / python-openstackclient 6.0 against this server.
import { md5Hex, randomBytes } from "../helpers/bytes";
import { metaHeaders } from "../helpers/fixtures";
import { api, type Caller, errorOf, postJson } from "../helpers/http";

const SDK_AGENT = "openstacksdk/0.101.0 keystoneauth1/5.0.0 python-requests/2.28.1 CPython/3.11.2";

interface ImageRecord {
	id: string;
	name: string | null;
	status: string;
	size: number | null;
	checksum: string | null;
	min_ram: number;
	min_disk: number;
	is_public: boolean;
	protected: boolean;
	owner: string | null;
	properties: Record<string, string>;
}

/** A request as the SDK sends it: its User-Agent, `Accept: *\/*` unless told otherwise. */
function sdk(
	path: string,
	init: { method?: string; headers?: Record<string, string>; body?: BodyInit; as?: Caller } = {},
) {
	return api(path, {
		...init,
		headers: { "user-agent": SDK_AGENT, accept: "*/*", ...init.headers },
	});
}

function sdkJson(method: string, path: string, body: unknown, as: Caller = "owner") {
	return sdk(path, {
		method,
		as,
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function imageOf(res: Response): Promise<ImageRecord> {
	return ((await res.json()) as { image: ImageRecord }).image;
}

/** `create_image(name, data=...)`'s first request: everything but name and formats in properties. */
function createImageBody(name: string, extra: Record<string, unknown> = {}) {
	return {
		validate_checksum: false,
		properties: {
			min_ram: 64,
			"owner_specified.openstack.md5": "",
			"owner_specified.openstack.sha256": "",
			"owner_specified.openstack.object": `images/${name}`,
			...extra,
		},
		disk_format: "raw",
		container_format: "bare",
		name,
	};
}

describe("openstacksdk create_image with data (POST JSON, then PUT the bytes)", () => {
	it("accepts validate_checksum and takes the core fields the SDK puts in properties", async () => {
		const name = crypto.randomUUID();
		const res = await sdkJson(
			"POST",
			"/v1/images",
			createImageBody(name, { is_public: true, is_protected: true, a: "b" }),
			"admin",
		);
		expect(res.status).toBe(202);
		const image = await imageOf(res);
		expect(image).toMatchObject({
			name,
			status: "queued",
			min_ram: 64,
			is_public: true,
			protected: true,
		});
		expect(image.properties).toEqual({
			a: "b",
			"owner_specified.openstack.md5": "",
			"owner_specified.openstack.sha256": "",
			"owner_specified.openstack.object": `images/${name}`,
		});
		expect(image.properties).not.toHaveProperty("validate_checksum");
	});

	it("lets a top-level field win over its copy in properties", async () => {
		const res = await sdkJson("POST", "/v1/images", {
			...createImageBody(crypto.randomUUID()),
			min_ram: 128,
		});
		expect(res.status).toBe(202);
		expect((await imageOf(res)).min_ram).toBe(128);
	});

	it("still refuses is_public in properties from a non-admin", async () => {
		const res = await sdkJson("POST", "/v1/images", createImageBody("pub", { is_public: true }));
		expect(res.status).toBe(403);
	});

	it("refuses a validate_checksum that is not a boolean", async () => {
		const res = await postJson("/v1/images", { ...createImageBody("x"), validate_checksum: "no" });
		expect(res.status).toBe(400);
		expect((await errorOf(res)).field).toBe("validate_checksum");
	});

	it("takes the data PUT without Content-Type, merging properties", async () => {
		const created = await imageOf(await sdkJson("POST", "/v1/images", createImageBody("up")));
		const data = randomBytes(3000, 7);
		const res = await sdk(`/v1/images/${created.id}`, {
			method: "PUT",
			headers: { "x-glance-registry-purge-props": "false" },
			body: data,
		});
		expect(res.status).toBe(200);
		const image = await imageOf(res);
		expect(image).toMatchObject({ status: "active", size: 3000, checksum: await md5Hex(data) });
		expect(image.properties["owner_specified.openstack.object"]).toBe("images/up");
	});

	it("still refuses a data PUT whose Content-Type says something else", async () => {
		const created = await imageOf(await sdkJson("POST", "/v1/images", createImageBody("typed")));
		const res = await sdk(`/v1/images/${created.id}`, {
			method: "PUT",
			headers: { "content-type": "text/plain" },
			body: "not an image",
		});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe("Content-Type must be application/octet-stream");
	});
});

describe('openstacksdk Resource bodies ({"image": {...}} with properties at the top level)', () => {
	it("creates with unknown top-level keys as properties (create_image without data)", async () => {
		const res = await sdkJson("POST", "/v1/images", {
			image: {
				name: "plain",
				container_format: "bare",
				disk_format: "raw",
				min_ram: 32,
				k: "v",
				"owner_specified.openstack.object": "images/plain",
			},
		});
		expect(res.status).toBe(202);
		const image = await imageOf(res);
		expect(image.min_ram).toBe(32);
		expect(image.properties).toEqual({
			k: "v",
			"owner_specified.openstack.object": "images/plain",
		});
	});

	it("keeps the bare registration object strict", async () => {
		const res = await postJson("/v1/images", { ...createImageBody("strict"), colour: "red" });
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe("Unknown field 'colour'");
	});

	it("updates by JSON PUT, dropping the record fields the SDK echoes and merging properties", async () => {
		const created = await imageOf(
			await api("/v1/images", {
				method: "POST",
				headers: metaHeaders({
					"x-image-meta-property-keep": "1",
					"x-image-meta-property-k": "old",
				}),
			}),
		);
		// `openstack image set --name n2 --min-disk 3 --property k2=v2` after reading the image.
		const res = await sdkJson("PUT", `/v1/images/${created.id}`, {
			image: {
				name: "n2",
				min_disk: 3,
				k: "new",
				k2: "v2",
				virtual_size: null,
				os_hash_algo: null,
				os_hash_value: null,
				deleted_at: null,
				deleted: false,
				status_reason: null,
			},
		});
		expect(res.status).toBe(200);
		const image = await imageOf(res);
		expect(image).toMatchObject({ name: "n2", min_disk: 3 });
		expect(image.properties).toEqual({ keep: "1", k: "new", k2: "v2" });
	});

	it("leaves properties alone when a JSON PUT names none", async () => {
		const created = await imageOf(
			await api("/v1/images", {
				method: "POST",
				headers: metaHeaders({ "x-image-meta-property-keep": "1" }),
			}),
		);
		const res = await sdkJson("PUT", `/v1/images/${created.id}`, { image: { name: "renamed" } });
		expect(res.status).toBe(200);
		expect((await imageOf(res)).properties).toEqual({ keep: "1" });
	});

	it("replaces the property set when x-glance-registry-purge-props: true says so", async () => {
		const created = await imageOf(
			await api("/v1/images", {
				method: "POST",
				headers: metaHeaders({ "x-image-meta-property-gone": "1" }),
			}),
		);
		const res = await sdk(`/v1/images/${created.id}`, {
			method: "PUT",
			headers: { "content-type": "application/json", "x-glance-registry-purge-props": "true" },
			body: JSON.stringify({ image: { only: "this" } }),
		});
		expect(res.status).toBe(200);
		expect((await imageOf(res)).properties).toEqual({ only: "this" });
	});

	it("applies the update rules to a JSON PUT (is_public needs an admin)", async () => {
		const created = await imageOf(
			await api("/v1/images", { method: "POST", headers: metaHeaders() }),
		);
		const res = await sdkJson("PUT", `/v1/images/${created.id}`, { image: { is_public: true } });
		expect(res.status).toBe(403);
		expect((await errorOf(res)).field).toBe("is_public");
	});

	it("refuses an external location in a JSON body", async () => {
		const res = await sdkJson("POST", "/v1/images", {
			image: { name: "l", disk_format: "raw", container_format: "bare", location: "http://x/y" },
		});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe("External sources are not supported: 'http://x/y'");
	});
});

describe("GET /v1/images/{id}: the record for metadata fetches, the bytes for downloads", () => {
	async function activeImage(data: Uint8Array) {
		const res = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "content-type": "application/octet-stream" }),
			body: data,
		});
		expect(res.status).toBe(201);
		return imageOf(res);
	}

	it("answers openstacksdk's fetch (Accept: */*) with the JSON record, also for a queued image", async () => {
		const queued = await imageOf(
			await api("/v1/images", { method: "POST", headers: metaHeaders() }),
		);
		const res = await sdk(`/v1/images/${queued.id}`);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toMatch(/^application\/json/);
		expect(res.headers.get("vary")).toBe("Accept, User-Agent");
		expect(await imageOf(res)).toMatchObject({ id: queued.id, status: "queued" });
	});

	it("answers Accept: application/json with the record, whoever asks", async () => {
		const image = await activeImage(randomBytes(100, 3));
		const res = await api(`/v1/images/${image.id}`, { headers: { accept: "application/json" } });
		expect(res.status).toBe(200);
		expect(res.headers.get("etag")).toBe(image.checksum);
		expect(await imageOf(res)).toMatchObject({ id: image.id, checksum: image.checksum });
	});

	it.each([
		["*/*", "python-glanceclient"],
		["application/json, */*", "curl/8"],
		["application/json;q=0.5, application/octet-stream", "curl/8"],
		["application/octet-stream", SDK_AGENT],
		[null, "curl/8"],
	])("answers Accept %s from %s with the bytes, as Glance did", async (accept, agent) => {
		const data = randomBytes(100, 4);
		const image = await activeImage(data);
		const headers: Record<string, string> = { "user-agent": agent };
		if (accept) headers.accept = accept;
		const res = await api(`/v1/images/${image.id}`, { headers });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/octet-stream");
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(data);
	});

	it("never answers HEAD with the record", async () => {
		const image = await activeImage(randomBytes(10, 5));
		const res = await sdk(`/v1/images/${image.id}`, { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).not.toMatch(/json/);
		expect(res.headers.get("x-image-meta-id")).toBe(image.id);
	});
});

describe("GET /v1/images/{id}/file (openstacksdk download_image)", () => {
	it("downloads the bytes with the hex MD5 in Content-MD5, whatever the client", async () => {
		const data = randomBytes(5000, 9);
		const created = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "content-type": "application/octet-stream" }),
			body: data,
		});
		const image = await imageOf(created);
		const res = await sdk(`/v1/images/${image.id}/file`, {
			headers: { accept: "application/json" },
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/octet-stream");
		expect(res.headers.get("content-md5")).toBe(await md5Hex(data));
		expect(res.headers.get("content-length")).toBe("5000");
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(data);

		const ranged = await api(`/v1/images/${image.id}/file`, { headers: { range: "bytes=10-19" } });
		expect(ranged.status).toBe(206);
		expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(data.slice(10, 20));
	});

	it("answers 404 for an image without data and for an unknown one", async () => {
		const queued = await imageOf(
			await api("/v1/images", { method: "POST", headers: metaHeaders() }),
		);
		expect((await api(`/v1/images/${queued.id}/file`)).status).toBe(404);
		expect((await api(`/v1/images/${crypto.randomUUID()}/file`)).status).toBe(404);
	});

	it("allows only GET and HEAD", async () => {
		const res = await api(`/v1/images/${crypto.randomUUID()}/file`, { method: "PUT" });
		expect(res.status).toBe(405);
		expect(res.headers.get("allow")).toBe("GET, HEAD");
	});
});

describe("the JSON record of a deleted image", () => {
	it("is a 404 even for an admin, as the data GET is", async () => {
		const created = await api("/v1/images", { method: "POST", headers: metaHeaders() });
		const { image } = (await created.json()) as { image: ImageRecord };
		expect((await api(`/v1/images/${image.id}`, { method: "DELETE" })).status).toBe(200);
		const res = await sdk(`/v1/images/${image.id}`, { as: "admin" });
		expect(res.status).toBe(404);
		expect((await api(`/v1/images/${image.id}`, { method: "HEAD", as: "admin" })).status).toBe(200);
	});
});

describe("numbers and booleans in JSON properties", () => {
	it("are stored as their Python string form, as Glance's registry stored them", async () => {
		const res = await postJson("/v1/images", {
			name: "typed",
			disk_format: "raw",
			container_format: "bare",
			properties: { cores: 4, ratio: 1.5, secure: true, legacy: false, text: "x" },
		});
		expect(res.status).toBe(202);
		expect((await imageOf(res)).properties).toEqual({
			cores: "4",
			ratio: "1.5",
			secure: "True",
			legacy: "False",
			text: "x",
		});
	});

	it("are stringified in the SDK's envelope too", async () => {
		const res = await sdkJson("POST", "/v1/images", {
			image: { name: "env", disk_format: "raw", container_format: "bare", hw_cores: 2 },
		});
		expect((await imageOf(res)).properties).toEqual({ hw_cores: "2" });
	});
});
