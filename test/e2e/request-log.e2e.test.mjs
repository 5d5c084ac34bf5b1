// The worker's request log lines as `wrangler dev` writes them. Run through `npm run test:e2e`,
// which starts the server, sets E2E_URL, and passes the wrangler log's path as E2E_WRANGLER_LOG
// (the worker's console.log reaches it at wrangler's default `--log-level log`).

import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const LOG = process.env.E2E_WRANGLER_LOG;

/** The request lines for the given request ids, once all of them reached the log. */
async function linesFor(requestIds) {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const lines = new Map();
		for (const text of fs.readFileSync(LOG, "utf8").split("\n")) {
			const start = text.indexOf('{"level"');
			if (start < 0) continue;
			try {
				const line = JSON.parse(text.slice(start));
				if (line.msg === "request" && requestIds.includes(line.request_id)) {
					lines.set(line.request_id, line);
				}
			} catch {}
		}
		if (lines.size === requestIds.length || Date.now() > deadline) {
			return requestIds.map((id) => lines.get(id));
		}
		await sleep(200);
	}
}

async function call(method, path, { token = DEMO_TOKEN, headers = {}, body } = {}) {
	const res = await fetch(`${BASE}${path}`, {
		method,
		headers: { ...(token ? { "X-Auth-Token": token } : {}), ...headers },
		body,
		signal: AbortSignal.timeout(15_000),
	});
	const text = await res.text();
	return { res, text, requestId: res.headers.get("x-openstack-request-id") };
}

describe("request log", () => {
	test("each request writes one JSON line: id, route pattern, status, tenant, image, sizes", async (t) => {
		if (!LOG || process.env.E2E_WRANGLER_LOG_LEVEL) {
			t.skip(
				"worker logs are not captured (E2E_WRANGLER_LOG_LEVEL is set, or no E2E_WRANGLER_LOG)",
			);
			return;
		}
		const body = JSON.stringify({ name: "logged", disk_format: "raw", container_format: "bare" });
		const created = await call("POST", "/v1/images", {
			headers: { "Content-Type": "application/json" },
			body,
		});
		assert.equal(created.res.status, 202, created.text);
		const { id } = JSON.parse(created.text).image;
		const data = new Uint8Array(4096).fill(7);
		const uploaded = await call("PUT", `/v1/images/${id}`, {
			headers: { "Content-Type": "application/octet-stream" },
			body: data,
		});
		assert.equal(uploaded.res.status, 200, uploaded.text);
		const downloaded = await call("GET", `/v1.1/images/${id}`);
		const refused = await call("GET", "/v1/images/detail", { token: "not-a-token-7f3e" });
		const health = await call("GET", "/healthz", { token: null });

		const calls = [created, uploaded, downloaded, refused, health];
		const lines = await linesFor(calls.map((c) => c.requestId));
		for (const [i, line] of lines.entries()) {
			assert.ok(line, `no log line for request ${calls[i].requestId}`);
		}
		const [create, upload, download, unauthorized, healthz] = lines;
		assert.deepEqual(
			{ ...create, duration_ms: 0 },
			{
				level: "info",
				msg: "request",
				request_id: created.requestId,
				method: "POST",
				route: "/v1/images",
				status: 202,
				duration_ms: 0,
				tenant: "demo",
				image_id: id,
				bytes_in: body.length,
				bytes_out: null,
			},
		);
		assert.equal(typeof create.duration_ms, "number");
		assert.deepEqual(
			[upload.method, upload.route, upload.status, upload.image_id, upload.bytes_in],
			["PUT", "/v1/images/:id", 200, id, 4096],
		);
		assert.deepEqual(
			[download.route, download.status, download.bytes_out, download.tenant],
			["/v1.1/images/:id", 200, 4096, "demo"],
		);
		assert.deepEqual(
			[unauthorized.status, unauthorized.tenant, unauthorized.route],
			[401, null, "/v1/images/detail"],
		);
		assert.deepEqual([healthz.route, healthz.status], ["/healthz", 200]);

		const everything = fs.readFileSync(LOG, "utf8");
		assert.ok(!everything.includes("not-a-token-7f3e"), "a refused token reached the log");
		assert.ok(!everything.includes(DEMO_TOKEN), "a valid token reached the log");
	});
});
