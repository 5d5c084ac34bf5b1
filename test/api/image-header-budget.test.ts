import { env } from "cloudflare:workers";
import { MAX_META_HEADER_BYTES, metaHeaderBytes } from "../../src/domain/header-budget";
import { metaHeaders, REGISTRATION } from "../helpers/fixtures";
import { api, errorOf, postJson } from "../helpers/http";

// HEAD and GET describe an image in x-image-meta-* headers; an image whose headers do not fit
// what the runtime sends (128 KiB in all) or what Python's http.client reads (65536 bytes a line)
// could be stored but never read back.

const MERGE = { "x-glance-registry-purge-props": "false" };

async function register(headers: Record<string, string> = {}): Promise<string> {
	const res = await api("/v1/images", { method: "POST", headers: metaHeaders(headers) });
	expect(res.status).toBe(202);
	return ((await res.json()) as { image: { id: string } }).image.id;
}

function put(id: string, headers: Record<string, string>) {
	return api(`/v1/images/${id}`, { method: "PUT", headers: { ...MERGE, ...headers } });
}

async function storedProperties(id: string): Promise<string[]> {
	const { results } = await env.DB.prepare(
		"SELECT name FROM image_properties WHERE image_id = ?1 ORDER BY name",
	)
		.bind(id)
		.all<{ name: string }>();
	return results.map((r) => r.name);
}

describe("the x-image-meta-* headers an image answers with stay readable", () => {
	it("refuses (413) the property that would push HEAD's headers past the budget", async () => {
		const id = await register({ "x-image-meta-property-a": "a".repeat(60_000) });
		const res = await put(id, { "x-image-meta-property-b": "b".repeat(60_000) });
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toMatch(/^An image's metadata is limited to \d+ bytes/);
		expect(await storedProperties(id)).toEqual(["a"]);
		const head = await api(`/v1/images/${id}`, { method: "HEAD" });
		expect(head.status).toBe(200);
	});

	it("stores the largest image the budget allows, answers HEAD for it, and refuses one byte more", async () => {
		const a = "a".repeat(60_000);
		const id = await register({ "x-image-meta-property-a": a });
		const base = metaHeaderBytes({
			name: "cirros",
			owner: "tenant-a",
			disk_format: "raw",
			container_format: "bare",
			properties: { a, b: "" },
		});
		const room = MAX_META_HEADER_BYTES - base;
		expect((await put(id, { "x-image-meta-property-b": "b".repeat(room) })).status).toBe(200);

		const head = await api(`/v1/images/${id}`, { method: "HEAD" });
		expect(head.status).toBe(200);
		expect(head.headers.get("x-image-meta-property-b")).toHaveLength(room);
		let meta = 0;
		let all = "HTTP/1.1 200 OK\r\n".length + 2;
		for (const [name, value] of head.headers) {
			const line = name.length + value.length + 4;
			all += line;
			if (name.startsWith("x-image-meta-")) meta += line;
		}
		expect(meta).toBeLessThanOrEqual(MAX_META_HEADER_BYTES);
		expect(all).toBeLessThan(128 * 1024);

		const over = await put(id, { "x-image-meta-property-b": "b".repeat(room + 1) });
		expect(over.status).toBe(413);
		expect((await errorOf(over)).message).toContain(`limited to ${MAX_META_HEADER_BYTES} bytes`);
		const kept = await api(`/v1/images/${id}`, { method: "HEAD" });
		expect(kept.headers.get("x-image-meta-property-b")).toHaveLength(room);
	});

	it("lets an update that makes nothing larger through, so an oversized image can be trimmed", async () => {
		const id = await register({ "x-image-meta-property-a": "a".repeat(60_000) });
		// As an image stored before the budget existed would be.
		await env.DB.prepare(
			"INSERT INTO image_properties (image_id, name, value) VALUES (?1, 'b', ?2)",
		)
			.bind(id, "b".repeat(60_000))
			.run();
		expect((await put(id, { "x-image-meta-name": "tiny" })).status).toBe(200);
		expect((await put(id, { "x-image-meta-property-b": "" })).status).toBe(200);
		expect(await storedProperties(id)).toEqual(["a"]);
	});

	it("refuses a registration over the budget, header form and JSON form", async () => {
		const big = { "x-image-meta-property-a": "a".repeat(60_000) };
		const headers = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ ...big, "x-image-meta-property-b": "b".repeat(60_000) }),
		});
		expect(headers.status).toBe(413);
		// é is 2 bytes of JSON but 6 of header (%C3%A9): a 64 KiB body can still be too much.
		const json = await postJson("/v1/images", {
			...REGISTRATION,
			properties: { a: "é".repeat(9_000), b: "é".repeat(9_000) },
		});
		expect(json.status).toBe(413);
		expect((await errorOf(json)).message).toMatch(/^An image's metadata is limited to/);
	});

	it("refuses a property whose header line Python's http.client could not read", async () => {
		const id = await register();
		const res = await put(id, { "x-image-meta-property-long": "x".repeat(65_535) });
		expect(res.status).toBe(413);
		const error = await errorOf(res);
		expect(error.field).toBe("x-image-meta-property-long");
		expect(error.message).toContain("65536 bytes");
		const json = await postJson("/v1/images", {
			...REGISTRATION,
			properties: { wide: "€".repeat(8_000) },
		});
		expect(json.status).toBe(413);
		expect((await errorOf(json)).field).toBe("properties.wide");
	});
});
