#!/usr/bin/env node
// `npm run bench`: glance-edge against the least its own stack can do, measured side by side in
// one run (these machines drift by 2× between runs, so only same-run ratios mean anything).
//
// It bundles glance-edge and the baseline worker (bench/baseline/) with `wrangler deploy
// --dry-run` (which also gives the bundle size), seeds both local D1 databases with the same
// 10 000 images, serves each bundle with `wrangler dev --no-bundle --log-level error` on a free
// loopback port with fresh state, then measures every figure on both, alternating which goes
// first, and prints medians, ratios and where the targets of issue 7 stand. See
// docs/benchmarks.md for what each figure means and a recorded run.
//
//   node bench/run.mjs [--quick] [--reps N] [--seconds S] [--keep] [--json FILE] [--inspector]
//                      [--peer [--peer-url URL --peer-token TOKEN]]
//
//   --quick      skip the 1 GiB figures (download uses the 256 MiB image; memory is measured at
//                256 MiB only) and run 3 s loads
//   --reps N     repeats per figure and side (default 3; the table shows the median)
//   --seconds S  duration of each request-rate run (default 4, or 3 with --quick)
//   --keep       keep the temp dir (D1/R2 state, bundles, wrangler logs) and print its path
//   --json FILE  also write every measurement to FILE
//   --inspector  serve both workers with `wrangler dev` itself, DevTools inspector on (by default
//                they are served the same way with it off: see bench/lib/dev-worker.mjs)
//   --peer       also measure the reference Glance's v2 create, show, list, upload and download,
//                reached at --peer-url (or GLANCE_PEER_URL) with --peer-token (or GLANCE_PEER_TOKEN)
//   --sessions   only the upload-session and CLI figures (issue 18)
//
// Test bodies are random files made once under the OS temp dir and reused by later runs.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { bodyFile, formatBytes, seedId, seedSql } from "./lib/data.mjs";
import {
	FLOOR_SLACK,
	floorRatio,
	floorRows,
	hashedPutRatios,
	measureFloors,
} from "./lib/floor.mjs";
import { call, requestLoad, streamDownload, streamUpload } from "./lib/load.mjs";
import { measurePeer, peerTable, peerTarget } from "./lib/peer.mjs";
import { cell, fmtPct, fmtRatio, markdownTable, median, mib, ratio } from "./lib/report.mjs";
import {
	cpuSeconds,
	DevServer,
	ForeignCpu,
	groupProcesses,
	HAVE_PROC,
	npx,
	RssSampler,
} from "./lib/servers.mjs";
import { bareMultipart, barePut, cliUpload, PARALLEL, sessionUpload } from "./lib/sessions.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const BASELINE_CONFIG = path.join("bench", "baseline", "wrangler.toml");
const SEED_IMAGES = 10_000;
const LIST_LIMIT = 1000;
const V2_CREATE = "v2 create (POST /v2/images) vs one D1 INSERT";
const V2_SHOW = "v2 show (GET /v2/images/{id}) vs one D1 SELECT as JSON";
const V2_LIST = `v2 list, ${LIST_LIMIT} of ${SEED_IMAGES} vs one SELECT of ${LIST_LIMIT} rows`;
/** The fixed-cost figures measured again with REQUEST_LOG=errors are labelled with this. */
const QUIET = "REQUEST_LOG=errors:";
const VERSIONS_FIGURE = "return JSON: GET /versions vs bare JSON";
const HEAD_FIGURE = "HEAD one image vs one D1 SELECT";
const REGISTER_FIGURE = "register (POST JSON) vs one D1 INSERT";
const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** The reference Glance v1 server on this kind of machine (the figures quoted in issue 7). */
const GLANCE_REGISTER_RPS = 55;
const GLANCE_UPLOAD_MBPS = 230;
/** "Memory does not grow with image size": a 1 GiB upload may peak this much above a 256 MiB one. */
const MEMORY_SLACK = 32 * MiB;

const { values: opts } = parseArgs({
	options: {
		quick: { type: "boolean", default: false },
		reps: { type: "string" },
		seconds: { type: "string" },
		keep: { type: "boolean", default: false },
		json: { type: "string" },
		inspector: { type: "boolean", default: false },
		peer: { type: "boolean", default: false },
		"peer-url": { type: "string" },
		"peer-token": { type: "string" },
		sessions: { type: "boolean", default: false },
		help: { type: "boolean", short: "h", default: false },
	},
});
if (opts.help) {
	const text = fs.readFileSync(new URL(import.meta.url), "utf8");
	process.stdout.write(`${text.split("\n\nimport ")[0].replace(/^#!.*\n/, "")}\n`);
	process.exit(0);
}
const REPS = Number(opts.reps ?? 3);
const SECONDS = Number(opts.seconds ?? (opts.quick ? 3 : 4));
if (!Number.isInteger(REPS) || REPS < 1) throw new Error("--reps must be a positive integer");
if (!(SECONDS > 0)) throw new Error("--seconds must be a positive number");
const PEER = opts.peer ? peerTarget(opts) : null;

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

let tmpDir;
const servers = [];
let finishing = false;

function cleanUp() {
	for (const s of servers) s.killNow();
	if (tmpDir && !opts.keep) fs.rmSync(tmpDir, { recursive: true, force: true });
}
process.on("exit", cleanUp);
for (const [signal, code] of [
	["SIGINT", 130],
	["SIGTERM", 143],
	["SIGHUP", 129],
]) {
	process.on(signal, async () => {
		if (finishing) return;
		finishing = true;
		log(`${signal} received, stopping the servers`);
		await Promise.all(servers.map((s) => s.stop().catch(() => {})));
		process.exit(code);
	});
}

/** The dev token of tenant `demo`, read from dev.env's AUTH_TOKENS (as the e2e driver does). */
function demoToken() {
	try {
		const text = fs.readFileSync(path.join(ROOT, "dev.env"), "utf8");
		const line = text.split(/\r?\n/).find((l) => l.startsWith("AUTH_TOKENS="));
		const entry = JSON.parse(line.slice("AUTH_TOKENS=".length)).find((e) => e.tenant === "demo");
		if (entry?.token) return entry.token;
	} catch {
		// Fall back to the documented token.
	}
	return "dev-demo-token";
}

function packageVersion(name) {
	try {
		return JSON.parse(
			fs.readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8"),
		).version;
	} catch {
		return "unknown";
	}
}

/** Which code ran: the commit, and whether files that go into the worker had local changes. */
function codeVersion() {
	const git = (...args) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
	const head = git("rev-parse", "--short", "HEAD");
	if (head.status !== 0) return "not a git checkout";
	const dirty = git(
		"status",
		"--porcelain",
		"--",
		"src",
		"migrations",
		"wrangler.toml",
		"package.json",
	);
	return `${head.stdout.trim()}${dirty.stdout.trim() ? " with uncommitted changes" : ""}`;
}

function machine() {
	const cpus = os.cpus();
	return {
		cpu: `${cpus[0]?.model ?? "unknown"}`.trim(),
		nproc: os.availableParallelism?.() ?? cpus.length,
		memory: `${(os.totalmem() / GiB).toFixed(1)} GiB`,
		os: `${os.type()} ${os.release()} ${os.arch()}`,
		node: process.version,
		wrangler: packageVersion("wrangler"),
		workerd: packageVersion("workerd"),
		miniflare: packageVersion("miniflare"),
		autocannon: packageVersion("autocannon"),
		code: codeVersion(),
	};
}

/**
 * Bundles a worker as it would be deployed and snapshots its configuration (and env file) next
 * to the bundle, so the server runs exactly what the run started with: `wrangler dev` reloads
 * on any change to the files it was given, and this repository may be edited meanwhile.
 */
async function bundle(name, configPath, envFile) {
	const outdir = path.join(tmpDir, `${name}-bundle`);
	const output = await npx(
		["wrangler", "deploy", "--dry-run", "--outdir", outdir, "-c", configPath],
		{
			cwd: ROOT,
			logPath: path.join(tmpDir, "wrangler.log"),
			debugLogPath: path.join(tmpDir, "wrangler-debug.log"),
		},
	);
	// Named after the worker's main module (index.js, worker.js).
	const entry = path.join(
		outdir,
		fs.readdirSync(outdir).find((f) => f.endsWith(".js")) ?? "index.js",
	);
	const config = path.join(outdir, path.basename(configPath));
	fs.copyFileSync(path.join(ROOT, configPath), config);
	// The copied config names its static assets relative to itself: bring them along.
	const assets = path.join(path.dirname(path.join(ROOT, configPath)), "public");
	if (fs.existsSync(assets)) {
		fs.cpSync(assets, path.join(outdir, "public"), { recursive: true });
	}
	const env = envFile ? path.join(outdir, path.basename(envFile)) : null;
	if (env) fs.copyFileSync(path.join(ROOT, envFile), env);
	const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
	const code = fs.readFileSync(entry);
	return {
		entry,
		// The bundle is served as is (--no-bundle); `main` in the copied config is not used.
		devArgs: ["-c", config, entry, "--no-bundle", ...(env ? ["--env-file", env] : [])],
		// wrangler's own figures; if its output changes, measure the same thing here.
		kib: m ? Number(m[1]) : code.length / 1024,
		gzipKib: m ? Number(m[2]) : gzipSync(code).length / 1024,
	};
}

/** Applies the migrations and the seed SQL to a fresh --persist-to state. */
async function prepareState(name, configArgs, seedFile) {
	const state = path.join(tmpDir, `${name}-state`);
	const common = ["--local", "--persist-to", state, ...configArgs];
	const logs = {
		logPath: path.join(tmpDir, "wrangler.log"),
		debugLogPath: path.join(tmpDir, "wrangler-debug.log"),
	};
	await npx(["wrangler", "d1", "migrations", "apply", "DB", ...common], { cwd: ROOT, ...logs });
	await npx(["wrangler", "d1", "execute", "DB", "--file", seedFile, ...common], {
		cwd: ROOT,
		...logs,
	});
	return state;
}

/** Workerd processes of a server's group, for the memory figures. */
function workerdPids(server) {
	return groupProcesses(server.pgid)
		.filter((p) => p.comm === "workerd")
		.map((p) => p.pid);
}

/**
 * Runs `measure(side, rep)` `REPS` times on each side, alternating which side goes first, and
 * records how much CPU other processes on the machine used meanwhile.
 */
async function repeated(label, measure, noise, reps = REPS) {
	const app = [];
	const base = [];
	noise.begin();
	for (let rep = 0; rep < reps; rep++) {
		const order = rep % 2 === 0 ? ["app", "base"] : ["base", "app"];
		for (const side of order) {
			const result = await measure(side, rep);
			(side === "app" ? app : base).push(result);
		}
	}
	const other = noise.end();
	log(`${label}: done (other processes used ${fmtPct(other)} of the CPU meanwhile)`);
	return { app, base, other };
}

function check(condition, message) {
	if (!condition) throw new Error(message);
}

async function main() {
	const started = Date.now();
	const info = machine();
	const token = demoToken();
	const auth = { "x-auth-token": token };
	log(
		`${info.nproc} CPUs (${info.cpu}), ${info.memory}; node ${info.node}, wrangler ${info.wrangler}, workerd ${info.workerd}`,
	);
	log(
		`${REPS} repeats per figure, ${SECONDS} s per request-rate run${opts.quick ? ", --quick: no 1 GiB figures" : ""}`,
	);

	// CPU used by others before we start anything: how noisy the machine is right now.
	const ours = new Set([process.pid]);
	const noise = new ForeignCpu(() => [...ours]);
	noise.begin();
	await sleep(1_000);
	const idleNoise = noise.end();
	log(`before starting: other processes use ${fmtPct(idleNoise)} of the CPU`);

	tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-bench-"));
	const dataDir = path.join(os.tmpdir(), "glance-edge-bench-data");
	const small = await bodyFile(dataDir, 256 * MiB, log);
	const large = opts.quick ? null : await bodyFile(dataDir, GiB, log);
	// Issue 18's sizes: a 2 GiB image through a session, the CLI with 1 GiB.
	const sessionBody = opts.quick ? small : await bodyFile(dataDir, 2 * GiB, log);

	log("bundling both workers (wrangler deploy --dry-run)");
	const appBundle = await bundle("app", "wrangler.toml", "dev.env");
	const baseBundle = await bundle("baseline", BASELINE_CONFIG, null);

	log(`seeding both D1 databases with ${SEED_IMAGES} images`);
	const seedFile = path.join(tmpDir, "seed.sql");
	fs.writeFileSync(seedFile, seedSql(SEED_IMAGES, "demo"));
	const appState = await prepareState("app", ["-c", "wrangler.toml"], seedFile);
	const quietState = await prepareState("quiet", ["-c", "wrangler.toml"], seedFile);
	const baseState = await prepareState("baseline", ["-c", BASELINE_CONFIG], seedFile);

	// Served from the bundles, not src/: an edit during the run cannot reload the worker, and
	// both sides run what `wrangler deploy` would upload.
	// glance-edge runs with its default configuration (REQUEST_LOG=all: one line per request).
	// The unknown-length figure measures that path, which deployments refuse unless the operator
	// accepts it; the upload figures send 256 MiB and 1 GiB in one request: no edge limit locally.
	const appVars = ["ACCEPT_UNSIZED_UPLOADS:true", "MAX_REQUEST_BYTES:0"].flatMap((v) => [
		"--var",
		v,
	]);
	const app = new DevServer("glance-edge", {
		cwd: ROOT,
		args: [...appBundle.devArgs, "--persist-to", appState, ...appVars],
		logPath: path.join(tmpDir, "glance-edge.log"),
		debugLogPath: path.join(tmpDir, "glance-edge-debug.log"),
		readyPath: "/versions",
		inspector: opts.inspector,
	});
	// The same bundle with the log line for 5xx answers only, for the fixed-cost figures beside
	// the default's: what the line costs, in this harness, is the difference.
	const quiet = new DevServer("glance-edge-quiet", {
		cwd: ROOT,
		args: [
			...appBundle.devArgs,
			"--persist-to",
			quietState,
			...appVars,
			"--var",
			"REQUEST_LOG:errors",
		],
		logPath: path.join(tmpDir, "glance-edge-quiet.log"),
		debugLogPath: path.join(tmpDir, "glance-edge-quiet-debug.log"),
		readyPath: "/versions",
		inspector: opts.inspector,
	});
	const base = new DevServer("baseline", {
		cwd: ROOT,
		args: [...baseBundle.devArgs, "--persist-to", baseState],
		logPath: path.join(tmpDir, "baseline.log"),
		debugLogPath: path.join(tmpDir, "baseline-debug.log"),
		readyPath: "/json",
		inspector: opts.inspector,
	});
	servers.push(app, quiet, base);
	log(
		`starting glance-edge (twice: default log, REQUEST_LOG=errors) and the baseline ${opts.inspector ? "with wrangler dev (inspector on)" : "as wrangler dev does, inspector off"}`,
	);
	await app.start();
	await quiet.start();
	await base.start();
	for (const s of servers) for (const p of groupProcesses(s.pgid)) ours.add(p.pid);
	const pids = { app: workerdPids(app), base: workerdPids(base) };
	// The CPU a figure costs a server, in two parts. The workerd processes (wrangler's proxy, and
	// the runtime with the worker and the D1/R2 simulators) serve the requests. wrangler's Node
	// process (and npx) is not on the request path: it reads the worker's log lines from workerd's
	// stdout and appends each to its debug log (and, with the inspector on, every devtools event
	// too) — a cost a deployed worker's logs never put on its CPU.
	const split = (server) => {
		const procs = groupProcesses(server.pgid);
		return {
			workerd: procs.filter((p) => p.comm === "workerd").map((p) => p.pid),
			tooling: procs.filter((p) => p.comm !== "workerd").map((p) => p.pid),
		};
	};
	const serverPids = { app: split(app), quiet: split(quiet), base: split(base) };
	const serverCpu = (side) => cpuSeconds(serverPids[side].workerd);
	const toolingCpu = (side) => cpuSeconds(serverPids[side].tooling);
	log(`ready: glance-edge ${app.url} (quiet ${quiet.url}), baseline ${base.url}`);

	// Sanity: both sides see the seeded images, so the figures compare the same work.
	const headId = seedId(0);
	const appList = await call(`${app.url}/v1/images/detail?limit=${LIST_LIMIT}`, { headers: auth });
	const baseList = await call(`${base.url}/list?limit=${LIST_LIMIT}`);
	check(
		appList.json?.images?.length === LIST_LIMIT && baseList.json?.images?.length === LIST_LIMIT,
		`the seeded lists are not ${LIST_LIMIT} images long (${appList.status}, ${baseList.status})`,
	);
	const appHead = await fetch(`${app.url}/v1/images/${headId}`, { method: "HEAD", headers: auth });
	check(appHead.status === 200, `HEAD of a seeded image answered ${appHead.status}`);
	// The least v1 HEAD must answer with the very headers glance-edge does, or it measures less.
	const metaHeaders = (res) =>
		JSON.stringify([...res.headers].filter(([name]) => name.startsWith("x-image-meta-")));
	const leastHead = await fetch(`${base.url}/least/images/${headId}`, { method: "HEAD" });
	check(
		metaHeaders(leastHead) === metaHeaders(appHead),
		`the least v1 HEAD's x-image-meta-* headers differ from glance-edge's: ${metaHeaders(leastHead)} against ${metaHeaders(appHead)}`,
	);

	const figures = [];
	const rate = async (spec) => {
		const { label, connections, app: appReq, base: baseReq, least, quietLog = false } = spec;
		log(`${label}: ${connections} connection(s), ${REPS} × ${SECONDS} s per side`);
		// `quietLog`: glance-edge's side is the server with REQUEST_LOG=errors.
		const appSide = quietLog ? "quiet" : "app";
		const appServer = quietLog ? quiet : app;
		const request = (side) => ({
			...(side === "app" ? appReq : baseReq),
			url: `${(side === "app" ? appServer : base).url}${(side === "app" ? appReq : baseReq).path}`,
			connections,
		});
		// `least`: a baseline route doing what the contract asks of this request and nothing else,
		// run right after each bare run (as the least hashing put is) and reported beside it.
		const leastRequest = least ? { ...least, url: `${base.url}${least.path}`, connections } : null;
		const leastRuns = leastRequest ? [] : null;
		// Warm-up (not measured): JIT, D1 statement caches, connection set-up.
		for (const side of ["app", "base"]) await requestLoad({ ...request(side), seconds: 1 });
		if (leastRequest) await requestLoad({ ...leastRequest, seconds: 1 });
		/** One measured load of `req` on server `who`, with its CPU per request. */
		const measure = async (req, who, name) => {
			const cpu = serverCpu(who);
			const tooling = toolingCpu(who);
			const r = await requestLoad({ ...req, seconds: SECONDS });
			r.cpuMs = ((serverCpu(who) - cpu) * 1000) / (r.requests + r.failed);
			r.toolingMs = ((toolingCpu(who) - tooling) * 1000) / (r.requests + r.failed);
			// A rate of error answers measures nothing: stop rather than print it.
			check(
				r.failed <= 0.01 * (r.requests + r.failed),
				`${label}: ${r.failed} of ${r.requests + r.failed} requests to ${name} failed`,
			);
			if (r.failed > 0) log(`  ${name}: ${r.failed} failed requests`);
			return r;
		};
		const runs = await repeated(
			label,
			async (side) => {
				const r = await measure(request(side), side === "app" ? appSide : side, side);
				if (side === "base" && leastRuns) {
					leastRuns.push(await measure(leastRequest, "base", "the least route"));
				}
				return r;
			},
			noise,
		);
		figures.push({ kind: "rate", label, connections, least: leastRuns, ...runs });
		return runs;
	};

	// ---- bodies, first: workerd under wrangler dev grows with every request it serves (both
	// sides alike), so the memory figures are taken before the request-rate runs ----
	const imageHeaders = {
		...auth,
		"content-type": "application/octet-stream",
		"x-image-meta-name": "bench-upload",
		"x-image-meta-disk_format": "raw",
		"x-image-meta-container_format": "bare",
	};
	const kept = {};
	const memory = {};
	let objectCount = 0;

	const checkDigests = (image, body) =>
		check(
			image?.size === body.size &&
				image.checksum === body.md5 &&
				image.os_hash_value === body.sha512,
			"glance-edge stored digests that do not match the file",
		);
	const v2Json = { ...auth, "content-type": "application/json" };
	/** v2's two steps: create (not timed), then PUT the file, timed alone; digests read back. */
	const v2Upload = async (body, chunked) => {
		const created = await call(`${app.url}/v2/images`, {
			method: "POST",
			headers: v2Json,
			body: JSON.stringify({ name: "bench-upload", disk_format: "raw", container_format: "bare" }),
		});
		check(created.status === 201, `v2 create answered ${created.status}`);
		const id = created.json.id;
		const r = await streamUpload({
			url: `${app.url}/v2/images/${id}/file`,
			method: "PUT",
			headers: { ...auth, "content-type": "application/octet-stream" },
			file: body.file,
			size: body.size,
			chunked,
		});
		check(r.status === 204, `v2 upload answered ${r.status}: ${r.text.slice(0, 300)}`);
		checkDigests((await call(`${app.url}/v2/images/${id}`, { headers: auth })).json, body);
		return { ...r, key: id };
	};

	/**
	 * One upload to the least route of an upload figure: known length, the store+sha512 floor
	 * route (SHA-512 and stored, nothing else); unknown length, the least chunked put, sent chunked
	 * as glance-edge's side is (MD5 + SHA-512 and a multipart of 8 MiB parts, nothing else).
	 */
	const leastPut = async (body, chunked) => {
		const cpu = serverCpu("base");
		const r = await streamUpload({
			url: chunked
				? `${base.url}/least/chunked`
				: `${base.url}/floor/${encodeURIComponent("store+sha512")}`,
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			file: body.file,
			size: body.size,
			chunked,
		});
		const digests = chunked ? [body.md5, body.sha512] : [body.sha512];
		check(
			r.status === 201 && JSON.stringify(r.json?.digests) === JSON.stringify(digests),
			`the least ${chunked ? "chunked" : "hashing"} put answered ${r.status}: ${r.text.slice(0, 200)}`,
		);
		return { mbps: r.mbps, cpuSPerGB: (serverCpu("base") - cpu) / (body.size / 1e9) };
	};

	const upload = async (
		label,
		body,
		{ chunked = false, keep = false, memoryKey = null, v2 = false, floor = "sha512" } = {},
	) => {
		log(`${label}: ${REPS} uploads per side`);
		const samples = { app: [], base: [] };
		// The baseline also runs the figure's least put right after each bare put, so both are
		// measured as close together as the bare put and glance-edge are.
		const least = [];
		const runs = await repeated(
			label,
			async (side, rep) => {
				const sampler = new RssSampler(pids[side]);
				if (HAVE_PROC) sampler.start();
				const cpu = serverCpu(side);
				let r;
				if (side === "app" && v2) {
					r = await v2Upload(body, chunked);
				} else if (side === "app") {
					r = await streamUpload({
						url: `${app.url}/v1/images`,
						method: "POST",
						headers: imageHeaders,
						file: body.file,
						size: body.size,
						chunked,
					});
					check(
						r.status === 201,
						`glance-edge upload answered ${r.status}: ${r.text.slice(0, 300)}`,
					);
					checkDigests(r.json?.image, body);
					r.key = r.json.image.id;
				} else {
					const key = `bench-${objectCount++}`;
					r = await streamUpload({
						url: `${base.url}/objects/${key}`,
						method: "PUT",
						headers: { "content-type": "application/octet-stream" },
						file: body.file,
						size: body.size,
					});
					check(r.status === 201 && r.json?.size === body.size, `bare put answered ${r.status}`);
					r.key = key;
				}
				const cpuSPerGB = (serverCpu(side) - cpu) / (body.size / 1e9);
				if (HAVE_PROC) samples[side].push(await sampler.stop(1_000));
				if (side === "base") least.push(await leastPut(body, chunked));
				const last = rep === REPS - 1;
				if (keep && last) {
					kept[side] = r.key;
				} else if (side === "app") {
					await call(`${app.url}/v1/images/${r.key}`, { method: "DELETE", headers: auth });
				} else {
					await call(`${base.url}/objects/${r.key}`, { method: "DELETE" });
				}
				return { mbps: r.mbps, seconds: r.seconds, cpuSPerGB };
			},
			noise,
		);
		// `floor`: the digests this path must compute itself (lib/floor.mjs).
		figures.push({ kind: "upload", label, size: body.size, floor, least, ...runs });
		if (memoryKey) memory[memoryKey] = samples;
	};

	const largest = large ?? small;
	await upload(`upload ${formatBytes(small.size)} (MD5 + SHA-512) vs bare R2 put`, small, {
		memoryKey: "small",
		keep: !large,
	});

	// ---- upload sessions and the CLI (issue 18), after the first upload: a fresh server's first
	// body grows workerd by ~100 MiB (buffer pools that stay), which is not the session's ----
	const sessionLabel = `session upload ${formatBytes(sessionBody.size)}, first part → active (parts in the CLI's order, ${PARALLEL} open) vs bare R2 multipart`;
	log(`${sessionLabel}: ${REPS} uploads per side`);
	const sessionSamples = { app: [], base: [] };
	const sessionRuns = await repeated(
		sessionLabel,
		async (side) => {
			const sampler = new RssSampler(pids[side]);
			if (HAVE_PROC) sampler.start();
			const cpu = serverCpu(side);
			const r =
				side === "app"
					? await sessionUpload({ url: app.url, auth, body: sessionBody })
					: await bareMultipart({
							url: base.url,
							body: sessionBody,
							key: `bench-${objectCount++}`,
						});
			r.cpuSPerGB = (serverCpu(side) - cpu) / (sessionBody.size / 1e9);
			if (HAVE_PROC) sessionSamples[side].push(await sampler.stop(1_000));
			if (side === "app") {
				await call(`${app.url}/v1/images/${r.key}`, { method: "DELETE", headers: auth });
			} else {
				await call(`${base.url}/objects/${r.key}`, { method: "DELETE" });
			}
			return r;
		},
		noise,
	);
	figures.push({ kind: "session", label: sessionLabel, size: sessionBody.size, ...sessionRuns });
	memory.session = sessionSamples;

	const cliBody = large ?? small;
	const cliLabel = `glance-edge upload ${formatBytes(cliBody.size)} (CLI: hash, parts, verify) vs one bare R2 put`;
	log(`${cliLabel}: ${REPS} uploads per side`);
	const cliRuns = await repeated(
		cliLabel,
		async (side) => {
			const cpu = serverCpu(side);
			const r =
				side === "app"
					? await cliUpload({
							root: ROOT,
							url: app.url,
							token,
							body: cliBody,
							stateDir: path.join(tmpDir, "cli-state"),
						})
					: await barePut({ url: base.url, body: cliBody, key: `bench-${objectCount++}` });
			r.cpuSPerGB = (serverCpu(side) - cpu) / (cliBody.size / 1e9);
			if (side === "app") {
				await call(`${app.url}/v1/images/${r.key}`, { method: "DELETE", headers: auth });
			} else {
				await call(`${base.url}/objects/${r.key}`, { method: "DELETE" });
			}
			return r;
		},
		noise,
	);
	figures.push({ kind: "cli", label: cliLabel, size: cliBody.size, ...cliRuns });
	if (opts.sessions)
		return finish({
			started,
			info,
			idleNoise,
			appBundle,
			baseBundle,
			figures,
			memory,
			small,
			large,
		});

	if (large) {
		await upload(`upload ${formatBytes(large.size)} (MD5 + SHA-512) vs bare R2 put`, large, {
			memoryKey: "large",
			keep: true,
		});
	}
	await upload(
		`upload ${formatBytes(small.size)}, unknown length (chunked, multipart) vs bare R2 put`,
		small,
		{ chunked: true, floor: "md5+sha512" },
	);

	await upload(
		`v2 upload ${formatBytes(small.size)} (PUT file, chunked as glanceclient sends it) vs bare R2 put`,
		small,
		{ chunked: true, v2: true, floor: "md5+sha512" },
	);

	// The hashing floor, on the baseline worker: the digests alone, in the same runtime.
	log(`hashing floor: ${REPS} × drain, SHA-512, MD5 + SHA-512 of ${formatBytes(small.size)}`);
	noise.begin();
	const floors = await measureFloors({
		url: base.url,
		body: small,
		reps: REPS,
		cpu: () => serverCpu("base"),
	});
	const floorNoise = noise.end();
	log(`hashing floor: done (other processes used ${fmtPct(floorNoise)} of the CPU meanwhile)`);

	// Twice the repeats: a download is over in a second or two, so noise weighs more.
	const downloadReps = 2 * REPS;
	const download = async (label, appPath) => {
		log(`${label}: ${downloadReps} downloads per side`);
		const runs = await repeated(
			label,
			async (side) => {
				const cpu = serverCpu(side);
				const r =
					side === "app"
						? await streamDownload({ url: `${app.url}${appPath}`, headers: auth })
						: await streamDownload({ url: `${base.url}/objects/${kept.base}` });
				check(
					r.status === 200 && r.bytes === largest.size,
					`${side} download: ${r.status}, ${r.bytes} bytes`,
				);
				return {
					mbps: r.mbps,
					seconds: r.seconds,
					cpuSPerGB: (serverCpu(side) - cpu) / (largest.size / 1e9),
				};
			},
			noise,
			downloadReps,
		);
		figures.push({ kind: "download", label, size: largest.size, ...runs });
	};
	await download(`download ${formatBytes(largest.size)} vs bare R2 get`, `/v1/images/${kept.app}`);
	// The same image and object through v2: one image, two views.
	await download(
		`v2 download ${formatBytes(largest.size)} (GET file) vs bare R2 get`,
		`/v2/images/${kept.app}/file`,
	);

	// ---- request rates ----
	const jsonBody = JSON.stringify({ name: "bench", disk_format: "raw", container_format: "bare" });
	const jsonPost = (path, headers = {}) => ({
		path,
		method: "POST",
		headers: { ...headers, "content-type": "application/json" },
		body: jsonBody,
	});
	const bareInsert = jsonPost("/images");
	// The fixed cost of a request: measured at the default log, then with REQUEST_LOG=errors.
	const fixedCost = [
		{
			label: VERSIONS_FIGURE,
			connections: 16,
			app: { path: "/versions" },
			base: { path: "/json" },
		},
		{
			label: HEAD_FIGURE,
			connections: 16,
			app: { path: `/v1/images/${headId}`, method: "HEAD", headers: auth },
			base: { path: `/images/${headId}`, method: "HEAD" },
			least: { path: `/least/images/${headId}`, method: "HEAD" },
		},
		{
			label: REGISTER_FIGURE,
			connections: 16,
			app: jsonPost("/v1/images", auth),
			base: bareInsert,
			least: jsonPost("/least/images"),
		},
	];
	for (const spec of fixedCost.slice(0, 2)) await rate(spec);
	await rate({
		label: `list detail, ${LIST_LIMIT} of ${SEED_IMAGES} vs one SELECT of ${LIST_LIMIT} rows`,
		connections: 1,
		app: { path: `/v1/images/detail?limit=${LIST_LIMIT}`, headers: auth },
		base: { path: `/list?limit=${LIST_LIMIT}` },
	});
	await rate(fixedCost[2]);
	for (const spec of fixedCost) {
		await rate({ ...spec, least: undefined, label: `${QUIET} ${spec.label}`, quietLog: true });
	}

	// v2 over the same images and the same baseline routes.
	await rate({
		label: V2_CREATE,
		connections: 16,
		app: jsonPost("/v2/images", auth),
		base: bareInsert,
	});
	await rate({
		label: V2_SHOW,
		connections: 16,
		app: { path: `/v2/images/${headId}`, headers: auth },
		base: { path: `/images/${headId}` },
	});
	await rate({
		label: V2_LIST,
		connections: 1,
		app: { path: `/v2/images?limit=${LIST_LIMIT}`, headers: auth },
		base: { path: `/list?limit=${LIST_LIMIT}` },
	});

	const peer = PEER
		? await measurePeer({
				...PEER,
				body: small,
				reps: REPS,
				seconds: SECONDS,
				listLimit: LIST_LIMIT,
				log,
			})
		: null;

	return finish({
		started,
		info,
		idleNoise,
		appBundle,
		baseBundle,
		figures,
		memory,
		small,
		large,
		floors,
		floorNoise,
		peer,
	});
}

/** Stops the servers, then writes and prints the report. */
async function finish({
	started,
	info,
	idleNoise,
	appBundle,
	baseBundle,
	figures,
	memory,
	small,
	large,
	floors = null,
	floorNoise = null,
	peer = null,
}) {
	log("stopping the servers");
	finishing = true;
	await Promise.all(servers.map((s) => s.stop()));

	const finished = Date.now();
	const results = {
		machine: info,
		options: { reps: REPS, seconds: SECONDS, quick: opts.quick, inspector: opts.inspector },
		idleNoise,
		bundle: {
			app: { kib: appBundle.kib, gzipKib: appBundle.gzipKib },
			baseline: { kib: baseBundle.kib, gzipKib: baseBundle.gzipKib },
		},
		figures,
		floors: { runs: floors, other: floorNoise },
		peer,
		memory,
		minutes: (finished - started) / 60_000,
	};
	if (opts.json) fs.writeFileSync(opts.json, `${JSON.stringify(results, null, "\t")}\n`);
	process.stdout.write(`${render(results, small, large)}\n`);
	if (opts.keep) log(`state, bundles and wrangler logs kept in ${tmpDir}`);
}

/** The report: machine, table, targets. */
function render(results, small, large) {
	const { machine: m, figures, memory, bundle: bundles } = results;
	const out = [];
	out.push(
		`glance-edge benchmark — ${m.nproc} CPUs (${m.cpu}), ${m.memory}, ${m.os}`,
		`node ${m.node}, wrangler ${m.wrangler}, workerd ${m.workerd}, miniflare ${m.miniflare}, autocannon ${m.autocannon}; code ${m.code}`,
		`${results.options.reps} repeats per figure and side (median, with min–max), ` +
			`${results.options.seconds} s per request-rate run; ` +
			`other processes used ${fmtPct(results.idleNoise)} of the CPU before the run; ` +
			`total ${results.minutes.toFixed(1)} min`,
		"",
	);

	const rows = [];
	const byLabel = new Map(figures.map((f) => [f.label, f]));
	// The order: request rates, then bodies (which the run measures first).
	const ordered = [
		...figures.filter((f) => f.kind === "rate"),
		...figures.filter((f) => f.kind !== "rate"),
	];
	for (const f of ordered) {
		const other = fmtPct(f.other);
		if (f.kind === "rate") {
			const metric = (name, key, better) => {
				const a = f.app.map((r) => r[key]);
				const b = f.base.map((r) => r[key]);
				return [name, cell(a), cell(b), fmtRatio(ratio(a, b)), better];
			};
			rows.push([`${f.label} (${f.connections} conn)`, ...metric("req/s", "rps", "higher"), other]);
			rows.push(["", ...metric("p50 ms", "p50", "lower"), ""]);
			rows.push(["", ...metric("p99 ms", "p99", "lower"), ""]);
			if (HAVE_PROC) {
				rows.push(["", ...metric("server CPU ms/req", "cpuMs", "lower"), ""]);
				rows.push(["", ...metric("wrangler's log relay CPU ms/req", "toolingMs", "lower"), ""]);
			}
		} else if (f.kind === "session" || f.kind === "cli") {
			const metric = (name, key, better) => {
				const a = f.app.map((r) => r[key]);
				const b = f.base.map((r) => r[key]);
				return [name, cell(a), cell(b), fmtRatio(ratio(a, b)), better];
			};
			rows.push([f.label, ...metric("MB/s", "mbps", "higher"), other]);
			rows.push(["", ...metric("seconds", "seconds", "lower"), ""]);
			if (f.kind === "session") {
				rows.push(["", ...metric("parts only, MB/s", "partsMbps", "higher"), ""]);
				rows.push([
					"",
					...metric("last part's answer → active, s", "lastPartToActive", "lower"),
					"",
				]);
			}
			if (HAVE_PROC) rows.push(["", ...metric("server CPU s/GB", "cpuSPerGB", "lower"), ""]);
		} else {
			const a = f.app.map((r) => r.mbps);
			const b = f.base.map((r) => r.mbps);
			rows.push([f.label, "MB/s", cell(a), cell(b), fmtRatio(ratio(a, b)), "higher", other]);
			if (HAVE_PROC) {
				const ca = f.app.map((r) => r.cpuSPerGB);
				const cb = f.base.map((r) => r.cpuSPerGB);
				rows.push([
					"",
					"server CPU s/GB",
					cell(ca),
					cell(cb),
					fmtRatio(ratio(ca, cb)),
					"lower",
					"",
				]);
			}
		}
	}
	const memRow = (key, size, what = "upload") => {
		const s = memory[key];
		if (!s?.app?.length) return;
		const pick = (side, field) => median(s[side].map((x) => x[field]));
		const app = ["before", "peak", "after"].map((f) => mib(pick("app", f))).join(" / ");
		const base = ["before", "peak", "after"].map((f) => mib(pick("base", f))).join(" / ");
		rows.push([
			`workerd RSS during a ${formatBytes(size)} ${what} (before / peak / after)`,
			"MiB",
			app,
			base,
			"—",
			"flat",
			"",
		]);
	};
	const sessionFig = figures.find((f) => f.kind === "session");
	const cliFig = figures.find((f) => f.kind === "cli");
	if (sessionFig) memRow("session", sessionFig.size, "session upload");
	memRow("small", small.size);
	if (large) memRow("large", large.size);
	rows.push([
		"bundle size (wrangler deploy --dry-run)",
		"KiB",
		`${bundles.app.kib.toFixed(1)} (gzip ${bundles.app.gzipKib.toFixed(1)})`,
		`${bundles.baseline.kib.toFixed(1)} (gzip ${bundles.baseline.gzipKib.toFixed(1)})`,
		"—",
		"",
		"",
	]);
	out.push(
		markdownTable(
			["figure", "metric", "glance-edge", "baseline", "ratio", "better", "other CPU"],
			rows,
			["l", "l", "r", "r", "r", "l", "r"],
		),
		"",
	);

	// ---- targets (issue 7) ----
	const targets = [];
	// Three decimals: the verdict is on the exact ratio, which the table rounds.
	const exact = (x) => (Number.isFinite(x) ? `${x.toFixed(3)}×` : "n/a");
	const of = (f, key) =>
		f
			? ratio(
					f.app.map((r) => r[key]),
					f.base.map((r) => r[key]),
				)
			: Number.NaN;
	/** One target line; the server-CPU ratio goes along, as the figure least moved by noise. */
	const target = (name, f, key, pass, cpuKey) => {
		const value = of(f, key);
		const verdict = Number.isFinite(value) ? (pass(value) ? "met" : "MISSED") : "?";
		const cpu = cpuKey ? of(f, cpuKey) : Number.NaN;
		const note = Number.isFinite(cpu) ? ` (server CPU per unit of work: ${exact(cpu)})` : "";
		targets.push(`- [${verdict}] ${name}: ${exact(value)}${note}`);
	};
	const listLabel = `list detail, ${LIST_LIMIT} of ${SEED_IMAGES} vs one SELECT of ${LIST_LIMIT} rows`;
	target(
		"register ≥ 0.8× the bare INSERT rps",
		byLabel.get(REGISTER_FIGURE),
		"rps",
		(x) => x >= 0.8,
		"cpuMs",
	);
	target(
		"HEAD ≥ 0.8× the bare SELECT rps",
		byLabel.get(HEAD_FIGURE),
		"rps",
		(x) => x >= 0.8,
		"cpuMs",
	);
	target(
		`list detail of ${LIST_LIMIT} ≤ 2× the bare SELECT's latency (p50)`,
		byLabel.get(listLabel),
		"p50",
		(x) => x <= 2,
		"cpuMs",
	);
	target(
		"v2 create ≥ 0.8× the bare INSERT rps",
		byLabel.get(V2_CREATE),
		"rps",
		(x) => x >= 0.8,
		"cpuMs",
	);
	target(
		"v2 show ≥ 0.8× the bare SELECT rps",
		byLabel.get(V2_SHOW),
		"rps",
		(x) => x >= 0.8,
		"cpuMs",
	);
	target(
		`v2 list of ${LIST_LIMIT} ≤ 2× the bare SELECT's latency (p50)`,
		byLabel.get(V2_LIST),
		"p50",
		(x) => x <= 2,
		"cpuMs",
	);
	for (const f of figures.filter((x) => x.kind === "upload")) {
		const name = `${f.label.replace(" vs bare R2 put", "")} ≥ 0.8× the bare put`;
		target(name, f, "mbps", (x) => x >= 0.8, "cpuSPerGB");
	}
	for (const f of figures.filter((x) => x.kind === "download")) {
		const name = `${f.label.replace(" vs bare R2 get", "")} ≥ 0.9× the bare get`;
		target(name, f, "mbps", (x) => x >= 0.9, "cpuSPerGB");
	}
	if (memory.small?.app?.length && memory.large?.app?.length) {
		const rise = (key) => median(memory[key].app.map((x) => x.peak - x.before));
		const s = rise("small");
		const l = rise("large");
		targets.push(
			`- [${l <= s + MEMORY_SLACK ? "met" : "MISSED"}] memory does not grow with image size: ` +
				`workerd peak rise ${mib(s)} at ${formatBytes(small.size)}, ${mib(l)} at ${formatBytes(large.size)} ` +
				`(met when the ${formatBytes(large.size)} rise is within ${mib(MEMORY_SLACK)} of the ${formatBytes(small.size)} one)`,
		);
	} else {
		targets.push(
			"- [?] memory does not grow with image size: not measured (needs the 1 GiB figures and Linux /proc)",
		);
	}
	out.push("Targets (issue 7, ratios from this run):", ...targets, "");

	// ---- issue 18: the hashing floor and the fixed cost with the default configuration ----
	const floors = results.floors?.runs;
	const goals = [];
	if (floors) {
		out.push(
			`Hashing floor (baseline worker, ${formatBytes(small.size)}, body read as glance-edge reads it; other CPU ${fmtPct(results.floors.other)}):`,
			"",
			markdownTable(
				["route", "MB/s", "server CPU s/GB", "digests' own CPU s/GB"],
				floorRows(floors),
				["l", "r", "r", "r"],
			),
			"",
		);
		for (const f of figures.filter((x) => x.kind === "upload")) {
			const unknown = f.floor === "md5+sha512";
			const min = unknown ? 0.85 : 0.9;
			const name = f.label.replace(" vs bare R2 put", "");
			target(`${name} ≥ ${min}× the bare put`, f, "mbps", (x) => x >= min, "cpuSPerGB");
			goals.push(targets.pop());
			const { added, floor, ratio: r } = floorRatio(f, floors, f.floor);
			const verdict = Number.isFinite(r) ? (r <= FLOOR_SLACK ? "met" : "MISSED") : "?";
			goals.push(
				`- [${verdict}] ${name}: added CPU ≤ ${FLOOR_SLACK}× the ${unknown ? "MD5 + SHA-512" : "SHA-512"} floor: ` +
					`${added.toFixed(2)} s/GB over the bare put against ${floor.toFixed(2)} s/GB for the digests = ${exact(r)}`,
			);
			if (f.least?.length) {
				const least = hashedPutRatios(f);
				const what = unknown
					? "the least chunked put (sent chunked; MD5 + SHA-512 and a multipart of 8 MiB parts, nothing else"
					: "the least hashing put (SHA-512 and store, nothing else";
				goals.push(
					`- [info] ${name} against ${what}; ` +
						`${least.leastMbps.toFixed(1)} MB/s, ${least.leastCpu.toFixed(1)} s/GB, measured beside each bare put, ` +
						`which it reaches ${exact(least.leastMbps / median(f.base.map((r) => r.mbps)))} of): ` +
						`${exact(least.mbps)} of its MB/s, ${exact(least.cpu)} of its server CPU per GB`,
				);
			}
		}
	}
	const fixed = (name, label, key, pass) => {
		target(name, byLabel.get(label), key, pass, "cpuMs");
		goals.push(targets.pop());
	};
	fixed(
		"GET /versions (default log) ≤ 1.3× the bare JSON route's server CPU per request",
		VERSIONS_FIGURE,
		"cpuMs",
		(x) => x <= 1.3,
	);
	fixed(
		"register (default log) ≥ 0.9× the bare INSERT rps",
		REGISTER_FIGURE,
		"rps",
		(x) => x >= 0.9,
	);
	fixed("HEAD (default log) ≥ 0.9× the bare SELECT rps", HEAD_FIGURE, "rps", (x) => x >= 0.9);
	/** glance-edge against the figure's `least` route: how much of the gap is its own. */
	const againstLeast = (name, label, what) => {
		const f = byLabel.get(label);
		if (!f?.least?.length) return;
		const values = (runs, key) => runs.map((r) => r[key]);
		const leastRps = median(values(f.least, "rps"));
		const leastCpu = median(values(f.least, "cpuMs"));
		goals.push(
			`- [info] ${name} against ${what} (${leastRps.toFixed(0)} req/s, ${leastCpu.toFixed(2)} ms of server CPU per request, ` +
				`run beside each bare one, which it reaches ${exact(ratio(values(f.least, "rps"), values(f.base, "rps")))} of): ` +
				`${exact(ratio(values(f.app, "rps"), values(f.least, "rps")))} of its rate, ` +
				`${exact(ratio(values(f.app, "cpuMs"), values(f.least, "cpuMs")))} of its server CPU per request`,
		);
	};
	againstLeast(
		"register (default log)",
		REGISTER_FIGURE,
		"the least v1 register (the bare INSERT answered with the image as JSON and one log line)",
	);
	againstLeast(
		"HEAD (default log)",
		HEAD_FIGURE,
		"the least v1 HEAD (the SELECT with the properties, answered with their x-image-meta-* headers and one log line)",
	);
	out.push(
		`Targets (issue 18, ratios from this run; ${results.options.inspector ? "wrangler dev, inspector on" : "served as wrangler dev does, inspector off"}):`,
		...goals,
		"",
	);

	if (results.peer) {
		const p = results.peer;
		const v2Upload = figures.find((f) => f.kind === "upload" && f.label.startsWith("v2 upload"));
		const v2Download = figures.find((f) => f.kind === "download" && f.label.startsWith("v2 "));
		const byName = {
			create: byLabel.get(V2_CREATE),
			show: byLabel.get(V2_SHOW),
			list: byLabel.get(V2_LIST),
			upload: v2Upload,
			download: v2Download,
		};
		out.push(
			`Side by side with the reference Glance (v2, same clients, same run; its list had ${p.listed} images, glance-edge's ${SEED_IMAGES}):`,
			"",
			peerTable(p, (name) => byName[name]),
			"",
		);
	}
	// ---- targets (issue 18): each figure against its own baseline in this run ----
	const sessionTargets = [];
	const verdict = (ok, value) => (Number.isFinite(value) ? (ok ? "met" : "MISSED") : "?");
	if (sessionFig) {
		const whole = median(sessionFig.app.map((r) => r.seconds));
		const parts = median(sessionFig.app.map((r) => r.partsSeconds));
		const tail = median(sessionFig.app.map((r) => r.lastPartToActive));
		const size = formatBytes(sessionFig.size);
		sessionTargets.push(
			`- [${verdict(tail <= 2, tail)}] last part's answer → active ≤ 2 s for ${size}: ${tail.toFixed(2)} s`,
			`- [${verdict(whole / parts <= 1.1, whole / parts)}] whole session upload ≤ 1.1× sending its parts: ${exact(whole / parts)} (${whole.toFixed(1)} s against ${parts.toFixed(1)} s)`,
			`- [info] sending the parts against the same parts as a bare R2 multipart: ${exact(
				ratio(
					sessionFig.app.map((r) => r.partsSeconds),
					sessionFig.base.map((r) => r.partsSeconds),
				),
			)} of its time (the parts are hashed on the way)`,
		);
		const retries = (side) => sessionFig[side].reduce((n, r) => n + (r.retries ?? 0), 0);
		if (retries("app") + retries("base") > 0) {
			sessionTargets.push(
				`- [info] parts sent again after a dropped connection or a 503, as the CLI would: ${retries("app")} in glance-edge's sessions, ${retries("base")} in the bare multiparts (their time is in the figures)`,
			);
		}
		const s = memory.session;
		if (s?.app?.length && memory.small?.app?.length) {
			const rise = (key) => median(memory[key].app.map((x) => x.peak - x.before));
			const r = rise("session");
			const u = rise("small");
			sessionTargets.push(
				`- [${r <= u + MEMORY_SLACK ? "met" : "MISSED"}] memory flat: workerd peak rise ${mib(r)} during the ${size} session, ${mib(u)} during the ${formatBytes(small.size)} upload (met within ${mib(MEMORY_SLACK)})`,
			);
		}
	}
	if (cliFig) {
		const t = ratio(
			cliFig.app.map((r) => r.seconds),
			cliFig.base.map((r) => r.seconds),
		);
		sessionTargets.push(
			`- [${verdict(t <= 1.25, t)}] glance-edge upload of ${formatBytes(cliFig.size)} ≤ 1.25× one bare R2 put's time: ${exact(t)}`,
		);
	}
	if (sessionTargets.length > 0) {
		out.push(
			"Targets (issue 18, sessions and the CLI, ratios from this run):",
			...sessionTargets,
			"",
		);
	}

	const regFig = byLabel.get(REGISTER_FIGURE);
	const uploadFig = figures.find(
		(f) => f.kind === "upload" && f.size === (large ?? small).size && !f.label.includes("unknown"),
	);
	const regRps = regFig ? median(regFig.app.map((r) => r.rps)) : Number.NaN;
	const upMbps = uploadFig ? median(uploadFig.app.map((r) => r.mbps)) : Number.NaN;
	out.push(
		"Against the reference Glance v1 (~55 registrations/s at 16 clients, ~230 MB/s upload, same kind of machine):",
		`- register: ${regRps.toFixed(0)}/s = ${(regRps / GLANCE_REGISTER_RPS).toFixed(1)}× Glance`,
		`- upload ${formatBytes(uploadFig?.size ?? 0)}: ${upMbps.toFixed(0)} MB/s = ${(upMbps / GLANCE_UPLOAD_MBPS).toFixed(2)}× Glance`,
	);
	return out.join("\n");
}

function printLogTails(lines = 40) {
	if (!tmpDir) return;
	for (const name of ["wrangler.log", "glance-edge.log", "baseline.log"]) {
		const file = path.join(tmpDir, name);
		if (!fs.existsSync(file)) continue;
		const tail = fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
		process.stderr.write(`\n[bench] last ${lines} lines of ${name}:\n${tail}\n`);
	}
}

main().catch(async (err) => {
	log(err.stack ?? String(err));
	finishing = true;
	await Promise.all(servers.map((s) => s.stop().catch(() => {})));
	printLogTails();
	process.exit(1);
});
