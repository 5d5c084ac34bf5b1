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
import { logTail } from "./lib/server-state.mjs";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const OTHER_TOKEN = process.env.E2E_ALT_TOKEN ?? "dev-alt-token";
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const LIMIT = 100_000;
/** More than LIMIT, small enough that the client has sent all of it before the refusal. */
const BODY_BYTES = 3 * 1024 * 1024;
const NEXT_REQUEST_MS = 1_000;
const READY_MS = 60_000;
const LOG_TAIL_LINES = 40;
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
	// One retry: a port picked free can be taken before wrangler binds it, and a loaded machine
	// can be slow to bring a second runtime up. The error carries the log, which stop() deletes.
	try {
		return await startDevServerOnce(vars);
	} catch (first) {
		try {
			return await startDevServerOnce(vars);
		} catch (second) {
			throw new Error(`${first.message}\nand again:\n${second.message}`);
		}
	}
}

async function startDevServerOnce(vars) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-refusal-"));
	const logFile = path.join(dir, "wrangler.log");
	const logFd = fs.openSync(logFile, "a");
	const removeDir = () => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
	const migrate = spawn(
		"npx",
		["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", dir],
		{ cwd: ROOT, env: WRANGLER_ENV, stdio: ["ignore", logFd, logFd] },
	);
	const migrated = await new Promise((resolve) => migrate.on("exit", (code) => resolve(code)));
	if (migrated !== 0) {
		fs.closeSync(logFd);
		const tail = logTail(logFile, LOG_TAIL_LINES);
		removeDir();
		throw new Error(`D1 migrations failed (exit ${migrated}):\n${tail}`);
	}
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
			removeDir();
		},
	};
	const started = Date.now();
	let last = "no answer yet";
	while (Date.now() - started < READY_MS) {
		try {
			const res = await fetch(`${url}/versions`, { signal: AbortSignal.timeout(2_000) });
			await res.arrayBuffer();
			if (res.status === 200) return server;
			last = `GET /versions answered ${res.status}`;
		} catch (err) {
			last = err.cause?.code ?? err.message;
		}
		await sleep(200);
	}
	await stopGroup(child.pid);
	const tail = logTail(logFile, LOG_TAIL_LINES);
	removeDir();
	throw new Error(
		`wrangler dev with ${JSON.stringify(vars)} was not ready after ${READY_MS / 1000} s (${last}):\n${tail}`,
	);
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
