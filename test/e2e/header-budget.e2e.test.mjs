// HEAD and GET of the largest image the metadata budget allows, over real HTTP against
// `wrangler dev`: workerd fails an answer with more than 128 KiB of headers ("header too large")
// and the client waits for ever, so these must answer, quickly. Run through `npm run test:e2e`.

import assert from "node:assert/strict";
import http from "node:http";
import { describe, test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const MERGE = { "x-glance-registry-purge-props": "false" };

/** One call with node:http, whose header limit (unlike fetch's 16 KiB) can be raised. */
function call(method, path, headers = {}, body = undefined) {
	return new Promise((resolve, reject) => {
		const req = http.request(`${BASE}${path}`, {
			method,
			headers: { "X-Auth-Token": DEMO_TOKEN, ...headers },
			maxHeaderSize: 1024 * 1024,
			timeout: 10_000,
		});
		req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
		req.on("error", reject);
		req.on("response", (res) => {
			let text = "";
			res.setEncoding("latin1");
			res.on("data", (d) => {
				text += d;
			});
			res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
		});
		req.end(body);
	});
}

async function activeImage() {
	const r = await call(
		"POST",
		"/v1/images",
		{
			"x-image-meta-name": "budget",
			"x-image-meta-disk_format": "raw",
			"x-image-meta-container_format": "bare",
			"content-type": "application/octet-stream",
		},
		Buffer.alloc(512),
	);
	assert.equal(r.status, 201, r.text);
	return JSON.parse(r.text).image.id;
}

describe("the metadata budget keeps images readable", () => {
	test("HEAD and GET of the largest image allowed answer, and one byte more is a 413", async () => {
		const id = await activeImage();
		const a = "a".repeat(60_000);
		assert.equal(
			(await call("PUT", `/v1/images/${id}`, { ...MERGE, "x-image-meta-property-a": a })).status,
			200,
		);
		// The 413 says how large the image would be: what is left is the room for b.
		const probe = await call("PUT", `/v1/images/${id}`, {
			...MERGE,
			"x-image-meta-property-b": "b".repeat(50_000),
		});
		assert.equal(probe.status, 413, probe.text);
		const [, limit, attempted] = /limited to (\d+) bytes.* would make (\d+)/.exec(probe.text) ?? [];
		const room = 50_000 - (Number(attempted) - Number(limit));
		const fits = await call("PUT", `/v1/images/${id}`, {
			...MERGE,
			"x-image-meta-property-b": "b".repeat(room),
		});
		assert.equal(fits.status, 200, fits.text);
		const over = await call("PUT", `/v1/images/${id}`, {
			...MERGE,
			"x-image-meta-property-b": "b".repeat(room + 1),
		});
		assert.equal(over.status, 413, over.text);

		for (const method of ["HEAD", "GET"]) {
			const r = await call(method, `/v1/images/${id}`);
			assert.equal(r.status, 200, `${method}: ${r.text}`);
			assert.equal(r.headers["x-image-meta-property-b"]?.length, room, method);
			assert.equal(r.headers["x-image-meta-status"], "active");
		}
	});

	test("the property that would make HEAD's headers unreadable to glanceclient is refused", async () => {
		const id = await activeImage();
		const headers = { ...MERGE };
		let accepted = 0;
		for (let i = 0; i < 128; i++) headers[`x-image-meta-property-p${i}`] = "v";
		const r = await call("PUT", `/v1/images/${id}`, headers);
		assert.equal(r.status, 413, r.text);
		const [, max] = /at most (\d+) properties/.exec(r.text) ?? [];
		const some = { ...MERGE };
		for (let i = 0; i < Number(max); i++) some[`x-image-meta-property-p${i}`] = "v";
		assert.equal((await call("PUT", `/v1/images/${id}`, some)).status, 200);
		const head = await call("HEAD", `/v1/images/${id}`);
		assert.equal(head.status, 200);
		for (const name of Object.keys(head.headers))
			if (name.startsWith("x-image-meta-property-")) accepted++;
		assert.equal(accepted, Number(max));
		// Python's http.client reads at most 100 lines, the blank one included.
		assert.ok(
			Object.keys(head.headers).length < 100,
			`${Object.keys(head.headers).length} headers`,
		);
	});
});
