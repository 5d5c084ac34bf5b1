import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { chunkedStream, randomBytes } from "../helpers/bytes";
import { metaHeaders } from "../helpers/fixtures";
import { errorOf, TOKENS } from "../helpers/http";

// MAX_REQUEST_BYTES holds for every body, whatever it declares: python-glanceclient sends a file
// chunked with x-image-meta-size and no Content-Length.

const LIMIT = 1000;

function call(
	method: "POST" | "PUT",
	path: string,
	body: BodyInit | null,
	headers: Record<string, string>,
) {
	return createApp().request(
		`https://glance.test${path}`,
		{
			method,
			headers: { "x-auth-token": TOKENS.owner, ...headers },
			body,
			// @ts-expect-error: streaming request bodies need duplex
			duplex: "half",
		},
		{ ...env, MAX_REQUEST_BYTES: String(LIMIT) },
	);
}

async function imageCount(): Promise<number> {
	const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM images").first<{ n: number }>();
	return row?.n ?? 0;
}

describe("MAX_REQUEST_BYTES with a declared x-image-meta-size", () => {
	it("answers 413 to a chunked POST declaring more than the limit, and stores nothing", async () => {
		const before = await imageCount();
		const res = await call(
			"POST",
			"/v1/images",
			chunkedStream(randomBytes(5000), 500),
			metaHeaders({ "content-type": "application/octet-stream", "x-image-meta-size": "5000" }),
		);
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toBe(
			`This service accepts request bodies of at most ${LIMIT} bytes (MAX_REQUEST_BYTES, the edge's request limit); this body is larger.`,
		);
		expect(await imageCount()).toBe(before);
	});

	it("answers 413 to a chunked PUT of an image registered with a size over the limit", async () => {
		const registered = await call(
			"POST",
			"/v1/images",
			null,
			metaHeaders({ "x-image-meta-size": "5000" }),
		);
		expect(registered.status).toBe(202);
		const { image } = (await registered.json()) as { image: { id: string } };
		const res = await call("PUT", `/v1/images/${image.id}`, chunkedStream(randomBytes(5000), 500), {
			"content-type": "application/octet-stream",
		});
		expect(res.status).toBe(413);
		expect((await errorOf(res)).message).toContain(`at most ${LIMIT} bytes (MAX_REQUEST_BYTES`);
		const row = await env.DB.prepare("SELECT status FROM images WHERE id = ?1")
			.bind(image.id)
			.first<{ status: string }>();
		expect(row?.status).toBe("queued");
	});

	it("still cuts a chunked body that declares less than the limit but sends more", async () => {
		const res = await call(
			"POST",
			"/v1/images",
			chunkedStream(randomBytes(5000), 500),
			metaHeaders({ "content-type": "application/octet-stream", "x-image-meta-size": "900" }),
		);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toContain("longer than the declared 900 bytes");
	});
});
