import { env } from "cloudflare:workers";
import { metaHeaders, REGISTRATION } from "../helpers/fixtures";
import { api, errorOf, postJson } from "../helpers/http";

interface Registered {
	location: string;
	image: Record<string, unknown> & { id: string; properties: Record<string, string> };
}

async function countImages(): Promise<number> {
	const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM images").first<{ n: number }>();
	return row?.n ?? 0;
}

describe("POST /v1/images (JSON form)", () => {
	it("registers a queued image and answers 202 with an r2:// location", async () => {
		const res = await postJson("/v1/images", {
			...REGISTRATION,
			properties: { os_distro: "cirros" },
		});
		expect(res.status).toBe(202);
		const body = (await res.json()) as Registered;
		const { image } = body;
		expect(image.status).toBe("queued");
		expect(image.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
		expect(body.location).toBe(`r2://glance-edge-images/images/${image.id}`);
		expect(res.headers.get("location")).toBe(`https://glance.test/v1/images/${image.id}`);
		expect(image).toMatchObject({
			name: "cirros",
			disk_format: "qcow2",
			container_format: "bare",
			size: 0,
			checksum: null,
			min_disk: 0,
			min_ram: 0,
			is_public: false,
			protected: false,
			owner: "tenant-a",
			deleted: false,
			deleted_at: null,
			virtual_size: null,
			os_hash_algo: null,
			os_hash_value: null,
			properties: { os_distro: "cirros" },
		});
		expect(image.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
		expect(image).not.toHaveProperty("object_key");
		expect(image).not.toHaveProperty("location");

		const row = await env.DB.prepare("SELECT status, object_key, owner FROM images WHERE id = ?1")
			.bind(image.id)
			.first();
		expect(row).toEqual({ status: "queued", object_key: `images/${image.id}`, owner: "tenant-a" });
	});

	it("accepts every optional field and a client-chosen id", async () => {
		const id = crypto.randomUUID();
		const res = await postJson("/v1/images", {
			...REGISTRATION,
			id,
			min_disk: 2,
			min_ram: 512,
			protected: true,
			size: 1024,
			checksum: "0123456789abcdef0123456789abcdef",
			properties: { "Hw-Disk-Bus": "virtio" },
		});
		expect(res.status).toBe(202);
		const { image } = (await res.json()) as Registered;
		expect(image).toMatchObject({
			id,
			min_disk: 2,
			min_ram: 512,
			protected: true,
			size: 1024,
			checksum: "0123456789abcdef0123456789abcdef",
			properties: { hw_disk_bus: "virtio" },
		});
	});

	it('accepts the body wrapped as {"image": {...}}', async () => {
		const res = await postJson("/v1/images", { image: REGISTRATION });
		expect(res.status).toBe(202);
	});

	it.each([
		["name", "Image name is not specified."],
		["disk_format", "Disk format is not specified."],
		["container_format", "Container format is not specified."],
	])("refuses a registration without %s", async (field, message) => {
		const before = await countImages();
		const body: Record<string, string> = { ...REGISTRATION };
		delete body[field];
		const res = await postJson("/v1/images", body);
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error).toMatchObject({ code: 400, title: "Bad Request", message, field });
		expect(await countImages()).toBe(before);
	});

	it.each([
		[{ disk_format: "floppy" }, "disk_format", "Invalid disk format 'floppy' for image."],
		[{ container_format: "tar" }, "container_format", "Invalid container format 'tar' for image."],
		[
			{ disk_format: "aki", container_format: "ami" },
			"container_format",
			"Invalid mix of disk and container formats",
		],
		[
			{ disk_format: "ami", container_format: "bare" },
			"container_format",
			"Invalid mix of disk and container formats",
		],
		[{ name: "x".repeat(256) }, "name", "Image name too long: 256"],
		[{ checksum: "a".repeat(33) }, "checksum", "can't exceed 32 characters"],
		[{ min_disk: -1 }, "min_disk", "Cannot be a negative value"],
		[{ min_ram: -5 }, "min_ram", "Cannot be a negative value"],
		[{ min_disk: 2147483648 }, "min_disk", "'min_disk' value out of range"],
		[{ min_ram: 1.5 }, "min_ram", "min_ram must be an integer"],
		[{ min_ram: "12" }, "min_ram", "min_ram must be an integer"],
		[{ size: -1 }, "size", "Cannot be a negative value"],
		[
			{ size: 1099511627777 },
			"size",
			"Denying attempt to upload image larger than 1099511627776 bytes.",
		],
		[{ is_public: "yes" }, "is_public", "is_public must be true or false"],
		[{ id: "not-a-uuid" }, "id", "Invalid image id format"],
		[
			{ properties: { k: [1] } },
			"properties.k",
			"property values must be strings, numbers or booleans",
		],
		[{ properties: { "": "v" } }, "properties.", "property names must not be empty"],
		[{ status: 42 }, "status", "status must be a string"],
		[{ colour: "red" }, "colour", "Unknown field 'colour'"],
	])("refuses %j naming field %s", async (override, field, message) => {
		const before = await countImages();
		const res = await postJson("/v1/images", { ...REGISTRATION, ...override });
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toContain(message);
		expect(error.field).toBe(field);
		expect(await countImages()).toBe(before);
	});

	it("fills in the partner format for Amazon formats", async () => {
		const res = await postJson("/v1/images", { name: "kernel", disk_format: "aki" });
		expect(res.status).toBe(202);
		const { image } = (await res.json()) as Registered;
		expect(image).toMatchObject({ disk_format: "aki", container_format: "aki" });
	});

	it.each([
		["{not json", "Malformed JSON in request body."],
		["[1, 2]", "The request body must be a JSON object"],
		['"cirros"', "The request body must be a JSON object"],
		["null", "The request body must be a JSON object"],
	])("refuses the body %s", async (raw, message) => {
		const res = await postJson("/v1/images", raw);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe(message);
	});

	// JSON may escape half a surrogate pair; UTF-8 cannot hold it, and it came back as U+FFFD.
	it.each([
		['"name": "\\ud800"', "name"],
		['"name": "ok\\udc00x"', "name"],
		['"properties": {"os": "\\udbff"}', "properties.os"],
		['"properties": {"k\\ud800": "v"}', "properties.k\ud800"],
		['"owner": "\\ud800"', "owner"],
		// Titles and failure output travel to vitest as UTF-8 too: no lone surrogate may reach them.
	])("refuses a lone surrogate (case %#) with 400 naming the field", async (member, field) => {
		const before = await countImages();
		const raw = `{"disk_format": "raw", "container_format": "bare", ${member.startsWith('"name"') ? "" : '"name": "n", '}${member}}`;
		const res = await postJson("/v1/images", raw);
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(JSON.stringify(error.field)).toBe(JSON.stringify(field));
		expect(error.message).toContain("lone surrogate");
		expect(await countImages()).toBe(before);
	});

	it.each([[["x", "y"]], [[]], ["os=cirros"], [7]])(
		"refuses properties that are not an object (%j) with 400 naming properties",
		async (properties) => {
			const before = await countImages();
			const res = await postJson("/v1/images", { ...REGISTRATION, properties });
			expect(res.status).toBe(400);
			const error = await errorOf(res);
			expect(error.field).toBe("properties");
			expect(error.message).toBe("properties must map names to strings");
			expect(await countImages()).toBe(before);
		},
	);

	it("keeps a surrogate pair (an emoji) as it was sent", async () => {
		const res = await postJson(
			"/v1/images",
			'{"name": "\\ud83d\\ude00", "disk_format": "raw", "container_format": "bare"}',
		);
		expect(res.status).toBe(202);
		expect(((await res.json()) as Registered).image.name).toBe("😀");
	});

	it("refuses a JSON body over 64 KiB with 413", async () => {
		const res = await postJson("/v1/images", {
			...REGISTRATION,
			properties: { blob: "x".repeat(65_000), more: "y".repeat(1_000) },
		});
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toContain("65536 bytes");
	});

	it("refuses a body of another Content-Type", async () => {
		const res = await api("/v1/images", {
			method: "POST",
			headers: { "content-type": "text/plain" },
			body: "name=cirros",
		});
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toBe("Content-Type must be application/json or application/octet-stream");
		expect(error.field).toBe("Content-Type");
	});

	it("refuses JSON together with x-image-meta headers", async () => {
		const res = await postJson("/v1/images", REGISTRATION, {
			headers: { "x-image-meta-name": "other" },
		});
		expect(res.status).toBe(400);
	});

	it("answers 409 for an id already used, including a deleted one, and keeps the original", async () => {
		const id = crypto.randomUUID();
		expect((await postJson("/v1/images", { ...REGISTRATION, id })).status).toBe(202);
		const again = await postJson("/v1/images", {
			...REGISTRATION,
			id: id.toUpperCase(),
			name: "other",
		});
		expect(again.status).toBe(409);
		expect((await errorOf(again)).message).toBe(`An image with identifier ${id} already exists`);

		await env.DB.prepare("UPDATE images SET status = 'deleted', deleted = 1 WHERE id = ?1")
			.bind(id)
			.run();
		expect((await postJson("/v1/images", { ...REGISTRATION, id })).status).toBe(409);
		const row = await env.DB.prepare("SELECT name FROM images WHERE id = ?1").bind(id).first();
		expect(row).toEqual({ name: "cirros" });
	});

	it("lets only admins make an image public", async () => {
		const denied = await postJson("/v1/images", { ...REGISTRATION, is_public: true });
		expect(denied.status).toBe(403);
		expect((await errorOf(denied)).field).toBe("is_public");
		const allowed = await postJson(
			"/v1/images",
			{ ...REGISTRATION, is_public: true },
			{ as: "admin" },
		);
		expect(allowed.status).toBe(202);
		expect(((await allowed.json()) as Registered).image.is_public).toBe(true);
	});

	it("lets admins choose the owner and ignores it from others", async () => {
		const byAdmin = await postJson(
			"/v1/images",
			{ ...REGISTRATION, owner: "tenant-z" },
			{ as: "admin" },
		);
		expect(((await byAdmin.json()) as Registered).image.owner).toBe("tenant-z");
		const byUser = await postJson("/v1/images", { ...REGISTRATION, owner: "tenant-z" });
		expect(((await byUser.json()) as Registered).image.owner).toBe("tenant-a");
	});

	it("enforces the property quota with 413 and writes nothing", async () => {
		const before = await countImages();
		const properties = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, "v"]));
		const res = await postJson("/v1/images", { ...REGISTRATION, properties });
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toBe(
			"The limit has been exceeded on the number of allowed image properties. Attempted: 11, Maximum: 10",
		);
		expect(await countImages()).toBe(before);
	});

	it("stores up to the quota of properties across several statements", async () => {
		const properties = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, `v${i}`]));
		const res = await postJson("/v1/images", { ...REGISTRATION, properties });
		const { image } = (await res.json()) as Registered;
		expect(image.properties).toEqual(properties);
	});
});

describe("POST /v1/images (x-image-meta-* headers)", () => {
	const post = (headers: Record<string, string>, as?: "admin") =>
		api("/v1/images", {
			method: "POST",
			as,
			headers: { "content-type": "application/octet-stream", "content-length": "0", ...headers },
		});

	it("registers from the headers glanceclient sends", async () => {
		const res = await post(
			metaHeaders({
				"x-image-meta-is_public": "None",
				"x-image-meta-min_disk": "1",
				"x-image-meta-min_ram": "64",
				"x-image-meta-protected": "False",
				"x-image-meta-property-os_distro": "cirros",
				"x-image-meta-property-hw%20x": "a%20b",
			}),
		);
		expect(res.status).toBe(202);
		const { image, location } = (await res.json()) as Registered;
		expect(location).toBe(`r2://glance-edge-images/images/${image.id}`);
		expect(image).toMatchObject({
			status: "queued",
			is_public: false,
			protected: false,
			min_disk: 1,
			min_ram: 64,
			properties: { os_distro: "cirros", "hw x": "a b" },
		});
	});

	it("treats dashes and underscores in field names alike", async () => {
		const res = await post({
			"x-image-meta-name": "dashes",
			"x-image-meta-disk-format": "raw",
			"x-image-meta-container-format": "ovf",
			"x-image-meta-property-os-version": "1",
		});
		expect(res.status).toBe(202);
		const { image } = (await res.json()) as Registered;
		expect(image).toMatchObject({
			disk_format: "raw",
			container_format: "ovf",
			properties: { os_version: "1" },
		});
	});

	it.each(["true", "TRUE", "1", "yes", "on", "y", "t"])(
		"reads protected=%s as true",
		async (value) => {
			const res = await post(metaHeaders({ "x-image-meta-protected": value }));
			expect(((await res.json()) as Registered).image.protected).toBe(true);
		},
	);

	it.each(["false", "0", "no", "banana"])("reads protected=%s as false", async (value) => {
		const res = await post(metaHeaders({ "x-image-meta-protected": value }));
		expect(((await res.json()) as Registered).image.protected).toBe(false);
	});

	it.each([
		[{ "x-image-meta-colour": "red" }, "x-image-meta-colour", "Bad header: x-image-meta-colour"],
		[
			{ "x-image-meta-min_ram": "lots" },
			"x-image-meta-min_ram",
			"Cannot convert image min_ram 'lots' to an integer.",
		],
		[{ "x-image-meta-min_disk": "-1" }, "x-image-meta-min_disk", "Cannot be a negative value"],
		[
			{ "x-image-meta-min_disk": "2147483648" },
			"x-image-meta-min_disk",
			"'min_disk' value out of range",
		],
		[
			{ "x-image-meta-size": "1.5" },
			"x-image-meta-size",
			"Cannot convert image size '1.5' to an integer.",
		],
		[
			{ "x-image-meta-disk_format": "floppy" },
			"x-image-meta-disk_format",
			"Invalid disk format 'floppy' for image.",
		],
		[{ "x-image-meta-name": "n".repeat(256) }, "x-image-meta-name", "Image name too long: 256"],
		[
			{ "x-image-meta-created_at": "yesterday" },
			"x-image-meta-created_at",
			"Invalid time format for created_at",
		],
		[
			{ "x-image-meta-created_at": "1899-12-31T00:00:00" },
			"x-image-meta-created_at",
			"Invalid time format",
		],
		[
			{ "x-image-meta-location": "file:///etc/passwd" },
			"x-image-meta-location",
			"External sources are not supported: 'file:///etc/passwd'",
		],
		[
			{ "x-image-meta-copy_from": "http://example.com/x" },
			"x-image-meta-copy_from",
			"External sources are not supported",
		],
		[
			{ "x-glance-api-copy-from": "http://169.254.169.254/" },
			"x-glance-api-copy-from",
			"External sources are not supported",
		],
		[{ "x-image-meta-store": "file" }, "x-image-meta-store", "Required store file is invalid"],
		[{ "x-image-meta-id": "12345" }, "x-image-meta-id", "Invalid image id format"],
		[{ "x-image-meta-name": "%E0%A4%A" }, "x-image-meta-name", "Bad header"],
		[{ "x-image-meta-name": "" }, "x-image-meta-name", "Image name is not specified."],
	])("refuses %j naming %s", async (override, field, message) => {
		const before = await countImages();
		const res = await post(metaHeaders(override));
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toContain(message);
		expect(error.field).toBe(field);
		expect(await countImages()).toBe(before);
	});

	it("ignores client timestamps, uri, deleted and status on create", async () => {
		const res = await post(
			metaHeaders({
				"x-image-meta-created_at": "2001-01-01T00:00:00",
				"x-image-meta-uri": "http://example.com",
				"x-image-meta-deleted": "True",
				"x-image-meta-status": "active",
				"x-image-meta-store": "r2",
			}),
		);
		expect(res.status).toBe(202);
		const { image } = (await res.json()) as Registered;
		expect(image).toMatchObject({ status: "queued", deleted: false });
		expect(image.created_at).not.toMatch(/^2001/);
	});

	it("refuses is_public=True from a non-admin with 403", async () => {
		const res = await post(metaHeaders({ "x-image-meta-is_public": "True" }));
		expect(res.status).toBe(403);
		const admin = await post(metaHeaders({ "x-image-meta-is_public": "True" }), "admin");
		expect(((await admin.json()) as Registered).image.is_public).toBe(true);
	});
});
