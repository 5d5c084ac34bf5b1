#!/usr/bin/env node
// Which layer turns a client hang-up into a clean end of body? A raw-socket client sends a chunked
// body of unknown length, then destroys the socket without the terminating 0-chunk. A minimal
// worker reads the body (in waitUntil, so it finishes after the client is gone) and records the
// bytes it saw and whether the stream ended cleanly or errored; the probe then asks for that record.
//
//   node scripts/probe-hangup.mjs                  all three local layers: plain workerd, miniflare,
//                                                  wrangler dev (loopback only)
//   node scripts/probe-hangup.mjs workerd miniflare   only those
//   node scripts/probe-hangup.mjs --write-worker DIR  writes the probe worker and a wrangler.toml to
//                                                  DIR, to deploy it (`npx wrangler deploy` in DIR)
//   node scripts/probe-hangup.mjs --url https://probe.example.workers.dev
//                                                  the same hang-up against a deployed probe worker
//                                                  (the record lives in isolate memory: if the report
//                                                  comes back "unknown id", run it again)
//
// Plain Node ESM; uses workerd, miniflare and wrangler from this project's node_modules.

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { freePort, freePorts, stopGroup } from "./lib/process-group.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const BIN = path.join(ROOT, "node_modules", ".bin");
const COMPAT_DATE = "2026-04-26";
const CHUNK_BYTES = 64 * 1024;
const CHUNKS = 8;

const WORKER = `// Probe worker (scripts/probe-hangup.mjs): what a request body looks like to a worker.
const seen = new Map();
export default {
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		const id = url.searchParams.get("id") ?? "";
		if (url.pathname === "/report") {
			return Response.json(seen.get(id) ?? { outcome: "unknown id" });
		}
		const record = { bytes: 0, outcome: "still reading" };
		seen.set(id, record);
		const reading = (async () => {
			const reader = request.body.getReader();
			try {
				for (;;) {
					const { done, value } = await reader.read();
					if (done) {
						record.outcome = "clean end";
						return;
					}
					record.bytes += value.byteLength;
				}
			} catch (err) {
				record.outcome = "error: " + (err && err.message ? err.message : String(err));
			}
		})();
		ctx.waitUntil(reading);
		await reading;
		return Response.json(record);
	},
};
`;

const WRANGLER_ENV = {
	...process.env,
	WRANGLER_SEND_METRICS: "false",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	WRANGLER_HIDE_BANNER: "true",
};

function workerDir() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "probe-hangup-"));
	fs.writeFileSync(path.join(dir, "worker.js"), WORKER);
	fs.writeFileSync(
		path.join(dir, "wrangler.toml"),
		`name = "probe-hangup"\nmain = "worker.js"\ncompatibility_date = "${COMPAT_DATE}"\n`,
	);
	return dir;
}

async function waitUntilUp(base, stopped) {
	const deadline = Date.now() + 60_000;
	while (Date.now() < deadline) {
		if (stopped()) throw new Error("the server exited before it was ready");
		try {
			const res = await fetch(`${base}/report?id=ready`, { signal: AbortSignal.timeout(2_000) });
			await res.arrayBuffer();
			if (res.ok) return;
		} catch {}
		await sleep(200);
	}
	throw new Error(`${base} did not come up`);
}

/** Runs a server command in its own process group; resolves with its URL and a stop(). */
async function startGroup(command, args, cwd, port) {
	const log = path.join(cwd, "server.log");
	const fd = fs.openSync(log, "a");
	const child = spawn(command, args, {
		cwd,
		env: WRANGLER_ENV,
		stdio: ["ignore", fd, fd],
		detached: true,
	});
	fs.closeSync(fd);
	let exited = false;
	child.on("exit", () => {
		exited = true;
	});
	const base = `http://127.0.0.1:${port}`;
	const stop = () => stopGroup(child.pid);
	try {
		await waitUntilUp(base, () => exited);
	} catch (err) {
		await stop();
		throw new Error(`${err.message}; see ${log}`);
	}
	return { base, stop };
}

const LAYERS = {
	async workerd() {
		const dir = workerDir();
		const port = await freePort();
		fs.writeFileSync(
			path.join(dir, "config.capnp"),
			`using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .probe)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const probe :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "${COMPAT_DATE}",
);
`,
		);
		return startGroup(path.join(BIN, "workerd"), ["serve", "config.capnp"], dir, port);
	},

	async miniflare() {
		const { Miniflare } = await import("miniflare");
		const mf = new Miniflare({
			modules: true,
			script: WORKER,
			compatibilityDate: COMPAT_DATE,
			host: "127.0.0.1",
			port: await freePort(),
		});
		const url = await mf.ready;
		return { base: url.origin, stop: () => mf.dispose() };
	},

	async "wrangler-dev"() {
		const dir = workerDir();
		const [port, inspectorPort] = await freePorts();
		const args = ["dev", "--ip", "127.0.0.1", "--port", String(port)];
		args.push("--inspector-port", String(inspectorPort), "--persist-to", path.join(dir, "state"));
		return startGroup(path.join(BIN, "wrangler"), args, dir, port);
	},
};

/** Sends headers and CHUNKS chunks of a chunked body, then destroys the socket. */
async function hangUp(base, id) {
	const url = new URL(base);
	const secure = url.protocol === "https:";
	const port = Number(url.port) || (secure ? 443 : 80);
	const socket = secure
		? tls.connect({ host: url.hostname, port, servername: url.hostname })
		: net.connect(port, url.hostname);
	await new Promise((resolve, reject) =>
		socket.once(secure ? "secureConnect" : "connect", resolve).once("error", reject),
	);
	socket.on("error", () => {});
	socket.write(
		`POST /probe?id=${id} HTTP/1.1\r\nHost: ${url.host}\r\n` +
			"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
	);
	const chunk = Buffer.alloc(CHUNK_BYTES, 0x61);
	for (let i = 0; i < CHUNKS; i++) {
		socket.write(Buffer.concat([Buffer.from(`${CHUNK_BYTES.toString(16)}\r\n`), chunk]));
		socket.write("\r\n");
	}
	await sleep(500);
	socket.destroy(); // no terminating 0-chunk: a hang-up, not an end of body
	return CHUNK_BYTES * CHUNKS;
}

async function probe(base) {
	const id = randomUUID();
	const sent = await hangUp(base, id);
	let report = { outcome: "no report" };
	for (let i = 0; i < 20; i++) {
		await sleep(250);
		const res = await fetch(`${base}/report?id=${id}`, { signal: AbortSignal.timeout(5_000) });
		report = await res.json();
		if (report.outcome !== "still reading") break;
	}
	return { sent, ...report };
}

async function main() {
	const argv = process.argv.slice(2);
	const flag = (name) => {
		const i = argv.indexOf(name);
		return i >= 0 ? argv.splice(i, 2)[1] : undefined;
	};
	const writeTo = flag("--write-worker");
	if (writeTo) {
		fs.mkdirSync(writeTo, { recursive: true });
		fs.cpSync(workerDir(), writeTo, { recursive: true });
		console.log(`probe worker written to ${writeTo}; deploy it with \`npx wrangler deploy\` there`);
		return;
	}
	const url = flag("--url");
	if (url) {
		const r = await probe(url.replace(/\/$/, ""));
		console.log(
			`${url}: sent ${r.sent} bytes, then hung up; the worker saw ${r.bytes} bytes, ${r.outcome}`,
		);
		return;
	}
	const names = argv.length > 0 ? argv : Object.keys(LAYERS);
	for (const name of names) {
		const start = LAYERS[name];
		if (!start) throw new Error(`unknown layer ${name}; one of ${Object.keys(LAYERS).join(", ")}`);
		const server = await start();
		try {
			const r = await probe(server.base);
			console.log(
				`${name.padEnd(12)} sent ${r.sent} bytes, then hung up; the worker saw ${r.bytes} bytes, ${r.outcome}`,
			);
		} finally {
			await server.stop();
		}
	}
}

main().catch((err) => {
	console.error(err.stack ?? String(err));
	process.exit(1);
});
