// A body refused part-way (or before its first byte is read) must not stall the server: under
// `wrangler dev`, a refusal answered while the client's whole body still sat unread made the NEXT
// request (any tenant, any connection) hang until its client gave up. Each case below sends a
// body the worker refuses, then times a plain GET. The limits need their own `wrangler dev`
// (MAX_REQUEST_BYTES, IMAGE_SIZE_CAP), started here on free loopback ports with fresh state.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePorts, stopGroup } from "../../scripts/lib/process-group.mjs";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const OTHER_TOKEN = process.env.E2E_ALT_TOKEN ?? "dev-alt-token";
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const LIMIT = 100_000;
/** More than LIMIT, small enough that the client has sent all of it before the refusal. */
const BODY_BYTES = 3 * 1024 * 1024;
const NEXT_REQUEST_MS = 1_000;
const META = {
	"X-Auth-Token": TOKEN,
	"x-image-meta-name": "e2e-refused",
	"x-image-meta-disk_format": "raw",
	"x-image-meta-container_format": "bare",
	"Content-Type": "application/octet-stream",
};
const WRANGLER_ENV = {
	...process.env,
	WRANGLER_SEND_METRICS: "false",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	WRANGLER_HIDE_BANNER: "true",
};

/** A body with no Content-Length (chunked), produced as fast as the client takes it. */
function chunked(total, size = 64 * 1024) {
	let sent = 0;
	return new ReadableStream({
		pull(controller) {
			if (sent >= total) return controller.close();
			const n = Math.min(size, total - sent);
			controller.enqueue(new Uint8Array(randomBytes(n)));
			sent += n;
		},
	});
}

async function refusedUpload(base, { headers = {}, body = chunked(BODY_BYTES) } = {}) {
	const res = await fetch(`${base}/v1/images`, {
		method: "POST",
		headers: { ...META, ...headers },
		body,
		duplex: "half",
		signal: AbortSignal.timeout(30_000),
	});
	const text = await res.text();
	let message = text;
	try {
		message = JSON.parse(text).error?.message ?? text;
	} catch {}
	return { status: res.status, message };
}

/** How long the next request (another tenant, a new connection) takes to be answered. */
async function nextRequestMs(base) {
	const started = Date.now();
	try {
		const res = await fetch(`${base}/v1/images`, {
			headers: { "X-Auth-Token": OTHER_TOKEN },
			signal: AbortSignal.timeout(15_000),
		});
		await res.arrayBuffer();
		assert.equal(res.status, 200);
	} catch (err) {
		if (err.name !== "TimeoutError") throw err;
	}
	return Date.now() - started;
}

async function assertNextRequestIsPrompt(base) {
	const ms = await nextRequestMs(base);
	assert.ok(ms < NEXT_REQUEST_MS, `the next request took ${ms} ms`);
}

/** Runs `npx wrangler dev` with extra vars on a free port, with fresh local state. */
async function startDevServer(vars) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-refusal-"));
	const logFd = fs.openSync(path.join(dir, "wrangler.log"), "a");
	const migrate = spawn(
		"npx",
		["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir],
		{ cwd: ROOT, env: WRANGLER_ENV, stdio: ["ignore", logFd, logFd] },
	);
	const migrated = await new Promise((resolve) => migrate.on("exit", (code) => resolve(code)));
	if (migrated !== 0) throw new Error(`D1 migrations failed; see ${dir}/wrangler.log`);
	const [port, inspectorPort] = await freePorts();
	const args = ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port)];
	args.push(
		"--persist-to",
		dir,
		"--env-file",
		"dev.env",
		"--inspector-port",
		String(inspectorPort),
	);
	for (const [key, value] of Object.entries(vars)) args.push("--var", `${key}:${value}`);
	const child = spawn("npx", args, {
		cwd: ROOT,
		env: WRANGLER_ENV,
		stdio: ["ignore", logFd, logFd],
		detached: true, // its own process group, stopped as a whole
	});
	fs.closeSync(logFd);
	const url = `http://127.0.0.1:${port}`;
	const server = {
		url,
		async stop() {
			await stopGroup(child.pid);
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		try {
			const res = await fetch(`${url}/versions`, { signal: AbortSignal.timeout(2_000) });
			await res.arrayBuffer();
			if (res.status === 200) return server;
		} catch {}
		await sleep(200);
	}
	await server.stop();
	throw new Error(`wrangler dev with ${JSON.stringify(vars)} did not come up`);
}

describe("after a refusal the next request is answered promptly", () => {
	test("a declared x-image-meta-size exceeded by a chunked body (400)", async () => {
		const refused = await refusedUpload(BASE, { headers: { "x-image-meta-size": String(LIMIT) } });
		assert.equal(refused.status, 400, refused.message);
		await assertNextRequestIsPrompt(BASE);
	});

	test("image data that is not its declared disk_format (400)", async () => {
		const refused = await refusedUpload(BASE, {
			headers: { "x-image-meta-disk_format": "qcow2", "x-image-meta-size": String(BODY_BYTES) },
		});
		assert.equal(refused.status, 400, refused.message);
		await assertNextRequestIsPrompt(BASE);
	});

	test("a chunked body declaring neither size nor checksum, refused unread (400)", async () => {
		const refused = await refusedUpload(BASE);
		assert.equal(refused.status, 400, refused.message);
		assert.match(refused.message, /--size/);
		await assertNextRequestIsPrompt(BASE);
	});

	describe(`MAX_REQUEST_BYTES=${LIMIT}`, () => {
		let server;
		before(async () => {
			server = await startDevServer({ MAX_REQUEST_BYTES: LIMIT, ACCEPT_UNSIZED_UPLOADS: true });
		});
		after(() => server?.stop());

		test("a chunked body of unknown length cut at the limit (413)", async () => {
			const refused = await refusedUpload(server.url);
			assert.equal(refused.status, 413, refused.message);
			assert.match(refused.message, /MAX_REQUEST_BYTES/);
			await assertNextRequestIsPrompt(server.url);
		});

		test("a chunked body declaring an x-image-meta-size over the limit (413)", async () => {
			const refused = await refusedUpload(server.url, {
				headers: { "x-image-meta-size": String(BODY_BYTES) },
			});
			assert.equal(refused.status, 413, refused.message);
			assert.match(refused.message, /MAX_REQUEST_BYTES/);
			await assertNextRequestIsPrompt(server.url);
		});

		test("a Content-Length over the limit, refused before the body is read (413)", async () => {
			const refused = await refusedUpload(server.url, { body: randomBytes(BODY_BYTES) });
			assert.equal(refused.status, 413, refused.message);
			await assertNextRequestIsPrompt(server.url);
		});
	});

	describe(`IMAGE_SIZE_CAP=${LIMIT}`, () => {
		let server;
		before(async () => {
			server = await startDevServer({ IMAGE_SIZE_CAP: LIMIT, ACCEPT_UNSIZED_UPLOADS: true });
		});
		after(() => server?.stop());

		test("a chunked body of unknown length cut at the cap (413)", async () => {
			const refused = await refusedUpload(server.url);
			assert.equal(refused.status, 413, refused.message);
			await assertNextRequestIsPrompt(server.url);
		});
	});
});
