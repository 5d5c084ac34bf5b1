import { appWith } from "../helpers/app";
import { chunkedStream, md5Hex, randomBytes, sha512Hex } from "../helpers/bytes";
import { api, errorOf, jsonInit } from "../helpers/http";
import { objectExists, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";
import { createV2, showV2, uploadV2 } from "../helpers/v2";

const RAW = { disk_format: "raw", container_format: "bare" };

async function activeImage(data: Uint8Array) {
	const image = await createV2(RAW);
	expect((await uploadV2(image.id, data)).status).toBe(204);
	return image;
}

describe("PUT /v2/images/{id}/file", () => {
	it("stores the bytes (204, empty) and the image becomes active with its digests", async () => {
		const data = randomBytes(100_000);
		const image = await createV2(RAW);
		const res = await uploadV2(image.id, data);
		expect(res.status).toBe(204);
		expect(await res.text()).toBe("");
		const shown = await showV2(image.id);
		expect(shown).toMatchObject({
			status: "active",
			size: data.length,
			checksum: await md5Hex(data),
			os_hash_algo: "sha512",
			os_hash_value: await sha512Hex(data),
		});
		await expectInvariants();
	});

	it("takes a chunked body without Content-Length", async () => {
		const data = randomBytes(300_000, 3);
		const image = await createV2(RAW);
		const res = await uploadV2(image.id, chunkedStream(data, 50_000));
		expect(res.status).toBe(204);
		expect(await showV2(image.id)).toMatchObject({ status: "active", size: data.length });
		await expectInvariants();
	});

	it("takes a chunked body even where v1 refuses unsized uploads (v2 cannot declare a size)", async () => {
		const strict = appWith({ vars: { ACCEPT_UNSIZED_UPLOADS: "false" } });
		const created = await strict.api("/v2/images", jsonInit(RAW));
		const { id } = (await created.json()) as { id: string };
		const res = await strict.api(`/v2/images/${id}/file`, {
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			body: chunkedStream(randomBytes(70_000, 4), 10_000),
		});
		expect(res.status).toBe(204);
		expect(await showV2(id)).toMatchObject({ status: "active", size: 70_000 });
	});

	it("makes a 0-byte body an active image of size 0 (Nova's volume-backed snapshot)", async () => {
		const image = await createV2(RAW);
		expect((await uploadV2(image.id, new Uint8Array(0))).status).toBe(204);
		expect(await showV2(image.id)).toMatchObject({
			status: "active",
			size: 0,
			checksum: await md5Hex(new Uint8Array(0)),
		});
	});

	it("refuses another media type (415), missing formats (400), a non-queued image (409)", async () => {
		const image = await createV2(RAW);
		const wrong = await uploadV2(image.id, randomBytes(10), {
			headers: { "content-type": "application/json" },
		});
		expect(wrong.status).toBe(415);
		const bare = await createV2({ disk_format: "raw" });
		const noFormats = await uploadV2(bare.id, randomBytes(10));
		expect(noFormats.status).toBe(400);
		expect((await errorOf(noFormats)).message).toBe(
			"Property container_format must be set prior to saving data.",
		);
		const none = await createV2({});
		expect((await errorOf(await uploadV2(none.id, randomBytes(10)))).message).toBe(
			"Properties disk_format, container_format must be set prior to saving data.",
		);
		await activeImage(randomBytes(10));
		const active = await activeImage(randomBytes(10));
		expect((await uploadV2(active.id, randomBytes(10))).status).toBe(409);
	});

	it("refuses non-owners: 403 when visible, 404 when not", async () => {
		const community = await createV2({ ...RAW, visibility: "community" });
		expect((await uploadV2(community.id, randomBytes(10), { as: "other" })).status).toBe(403);
		const priv = await createV2({ ...RAW, visibility: "private" });
		expect((await uploadV2(priv.id, randomBytes(10), { as: "other" })).status).toBe(404);
	});

	it("puts the image back to queued when the upload fails, bytes gone, and takes a retry", async () => {
		const limited = appWith({ vars: { MAX_REQUEST_BYTES: "1000" } });
		const created = await limited.api("/v2/images", jsonInit(RAW));
		const image = (await created.json()) as { id: string };
		const tooBig = await limited.api(`/v2/images/${image.id}/file`, {
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			body: chunkedStream(randomBytes(5000), 500),
		});
		expect(tooBig.status).toBe(413);
		const row = await storedRow(image.id);
		expect(row).toMatchObject({ status: "queued", size: null, checksum: null, reserved_bytes: 0 });
		expect(await objectExists(image.id)).toBe(false);
		await expectInvariants();
		expect((await uploadV2(image.id, randomBytes(500))).status).toBe(204);
		expect((await showV2(image.id)).status).toBe("active");
	});
});

describe("GET /v2/images/{id}/file", () => {
	it("answers the bytes as application/octet-stream with the hex Content-MD5", async () => {
		const data = randomBytes(5000, 7);
		const image = await activeImage(data);
		const res = await api(`/v2/images/${image.id}/file`, {
			headers: { accept: "application/json" },
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/octet-stream");
		expect(res.headers.get("content-md5")).toBe(await md5Hex(data));
		expect(res.headers.get("content-length")).toBe("5000");
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(data);
	});

	it("serves ranges (206) and refuses unsatisfiable (416) or multiple (400) ones", async () => {
		const data = randomBytes(1000, 8);
		const image = await activeImage(data);
		const get = (range: string) => api(`/v2/images/${image.id}/file`, { headers: { range } });
		const part = await get("bytes=10-19");
		expect(part.status).toBe(206);
		expect(part.headers.get("content-range")).toBe("bytes 10-19/1000");
		expect(new Uint8Array(await part.arrayBuffer())).toEqual(data.slice(10, 20));
		const tail = await get("bytes=-10");
		expect(new Uint8Array(await tail.arrayBuffer())).toEqual(data.slice(990));
		const clamped = await get("bytes=990-5000");
		expect(clamped.headers.get("content-range")).toBe("bytes 990-999/1000");
		await clamped.arrayBuffer();
		expect((await get("bytes=1000-")).status).toBe(416);
		expect((await get("bytes=10-5")).status).toBe(416);
		expect((await get("bytes=0-1,5-6")).status).toBe(400);
	});

	it("answers 204 when the image has no data", async () => {
		const image = await createV2(RAW);
		const res = await api(`/v2/images/${image.id}/file`);
		expect(res.status).toBe(204);
		expect(await res.text()).toBe("");
	});
});

describe("POST /v2/images/{id}/actions/{deactivate,reactivate}", () => {
	it("deactivates (downloads 403 except for admins) and reactivates; both idempotent", async () => {
		const data = randomBytes(100, 9);
		const image = await activeImage(data);
		const action = (name: string, as: "owner" | "other" = "owner") =>
			api(`/v2/images/${image.id}/actions/${name}`, { method: "POST", as });
		expect((await action("deactivate")).status).toBe(204);
		expect((await action("deactivate")).status).toBe(204);
		expect((await showV2(image.id)).status).toBe("deactivated");
		const denied = await api(`/v2/images/${image.id}/file`);
		expect(denied.status).toBe(403);
		expect((await errorOf(denied)).message).toContain("deactivated");
		const admin = await api(`/v2/images/${image.id}/file`, { as: "admin" });
		expect(admin.status).toBe(200);
		expect(new Uint8Array(await admin.arrayBuffer())).toEqual(data);
		expect((await action("reactivate")).status).toBe(204);
		expect((await action("reactivate")).status).toBe(204);
		expect((await showV2(image.id)).status).toBe("active");
		await expectInvariants();
	});

	it("refuses a queued image with 403 and others' images", async () => {
		const queued = await createV2(RAW);
		const res = await api(`/v2/images/${queued.id}/actions/deactivate`, { method: "POST" });
		expect(res.status).toBe(403);
		expect((await errorOf(res)).message).toBe("Not allowed to deactivate image in status 'queued'");
		const priv = await createV2({ visibility: "private" });
		expect(
			(await api(`/v2/images/${priv.id}/actions/deactivate`, { method: "POST", as: "other" }))
				.status,
		).toBe(404);
	});
});
