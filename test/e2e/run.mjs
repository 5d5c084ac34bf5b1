#!/usr/bin/env node
// End-to-end test driver (`npm run test:e2e`): runs the worker for real under `wrangler dev` on a
// free loopback port with fresh local state, then runs test/e2e/*.e2e.test.mjs against it with
// node's built-in test runner. Plain Node ESM, built-ins only.
//
// Environment:
//   E2E_WRANGLER_VARS  extra `--var` pairs for wrangler dev, whitespace separated KEY:VALUE
//                      (e.g. "MAX_REQUEST_BYTES:1048576 IMAGE_PROPERTY_QUOTA:5").
//   E2E_KEEP_STATE=1   keep the temp dir (D1/R2 state and wrangler.log) and print its path.
//   E2E_WRANGLER_LOG_LEVEL  wrangler dev's --log-level (default "log": the worker's console.log
//                      request lines reach wrangler.log, whose path the tests get as E2E_WRANGLER_LOG).
// Arguments: test files to run instead of every test/e2e/*.e2e.test.mjs.
//
// wrangler dev runs in its own process group and is always stopped with a signal to the whole
// group: killing only npx leaves workerd serving the port.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePorts, signalGroup, stopGroup } from "../../scripts/lib/process-group.mjs";
import { describeServer, logTail } from "./lib/server-state.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const E2E_DIR = path.join(ROOT, "test", "e2e");
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 80;
const RUNNER_OUTPUT_CHARS = 64 * 1024;

const WRANGLER_ENV = {
	...process.env,
	WRANGLER_SEND_METRICS: "false",
	CLOUDFLARE_CF_FETCH_ENABLED: "false",
	WRANGLER_HIDE_BANNER: "true",
};

/** Fallbacks when dev.env cannot be read; they mirror the public dev tokens in dev.env. */
const DEFAULT_TOKENS = {
	admin: "dev-admin-token",
	demo: "dev-demo-token",
	alt: "dev-alt-token",
};

let tmpDir;
let logPath;
let server; // the detached `npx wrangler dev` child; its pid is the process group id
let serverExited = false;
let testRunner;
let serverUrl; // of the running server
let finishing = false;
/** The end of the test runner's output, kept to repeat its failures after the wrangler log. */
let runnerOutput = "";

function log(message) {
	process.stderr.write(`[e2e] ${message}\n`);
}

function extraVars() {
	const raw = process.env.E2E_WRANGLER_VARS?.trim();
	if (!raw) return [];
	return raw.split(/\s+/).flatMap((pair) => {
		if (!/^[A-Za-z_][A-Za-z0-9_]*:/.test(pair)) {
			throw new Error(`E2E_WRANGLER_VARS: expected KEY:VALUE, got ${JSON.stringify(pair)}`);
		}
		return ["--var", pair];
	});
}

/** The dev tokens by tenant, read from dev.env's AUTH_TOKENS so tests follow that file. */
function devTokens() {
	const tokens = { ...DEFAULT_TOKENS };
	try {
		const text = fs.readFileSync(path.join(ROOT, "dev.env"), "utf8");
		const line = text.split(/\r?\n/).find((l) => l.startsWith("AUTH_TOKENS="));
		if (line) {
			for (const entry of JSON.parse(line.slice("AUTH_TOKENS=".length))) {
				if (entry?.tenant && entry?.token) tokens[entry.tenant] = entry.token;
			}
		}
	} catch (err) {
		log(`could not read tokens from dev.env (${err.message}); using the defaults`);
	}
	return tokens;
}

function testFiles() {
	const args = process.argv.slice(2);
	if (args.length > 0) return args.map((f) => path.resolve(f));
	return fs
		.readdirSync(E2E_DIR)
		.filter((f) => f.endsWith(".e2e.test.mjs"))
		.sort()
		.map((f) => path.join(E2E_DIR, f));
}

function printLogTail(reason) {
	process.stderr.write(
		`\n[e2e] ${reason}; last ${LOG_TAIL_LINES} lines of the wrangler log:\n` +
			`----------------------------------------------------------------\n` +
			`${logTail(logPath, LOG_TAIL_LINES)}\n` +
			`----------------------------------------------------------------\n`,
	);
}

/**
 * Repeats the runner's "Failed tests:" section last, so that whoever reads only the end of the
 * output (a CI excerpt) sees which assertion failed, not just the wrangler log.
 */
function printFailures() {
	const at = runnerOutput.lastIndexOf("Failed tests:");
	if (at === -1) return;
	process.stderr.write(`\n[e2e] the failures again:\n${runnerOutput.slice(at).trimEnd()}\n`);
}

/** After a failure: does the server still answer, and how busy are its processes. */
async function printServerState() {
	try {
		const lines = await describeServer({ url: serverUrl, pgid: server?.pid });
		process.stderr.write(
			`[e2e] wrangler dev after the failure:\n${lines.map((l) => `  ${l}`).join("\n")}\n`,
		);
	} catch (err) {
		log(`could not describe the server: ${err.message}`);
	}
}

/** Runs a command to completion with its output appended to the log; resolves with the exit code. */
function runLogged(command, args) {
	return new Promise((resolve, reject) => {
		const fd = fs.openSync(logPath, "a");
		fs.writeSync(fd, `$ ${command} ${args.join(" ")}\n`);
		const child = spawn(command, args, {
			cwd: ROOT,
			env: WRANGLER_ENV,
			stdio: ["ignore", fd, fd],
		});
		fs.closeSync(fd);
		child.on("error", reject);
		child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
	});
}

function startServer(port, inspectorPort) {
	const fd = fs.openSync(logPath, "a");
	const args = [
		"wrangler",
		"dev",
		"--ip",
		"127.0.0.1",
		"--port",
		String(port),
		"--persist-to",
		tmpDir,
		"--env-file",
		"dev.env",
		"--log-level",
		process.env.E2E_WRANGLER_LOG_LEVEL || "log",
		// Not the default 9229, which a concurrent `wrangler dev` or vitest run may hold.
		"--inspector-port",
		String(inspectorPort),
		// R2's smallest part, so that the console test's 12 MiB upload really takes several parts.
		"--var",
		"UPLOAD_PART_BYTES:5242880",
		"--var",
		"SESSION_PART_BYTES:5242880",
		// A request limit the CLI's import test can exceed with a 12 MiB file (images larger than
		// one request are staged in parts); every single-request upload of the suites is smaller.
		"--var",
		"MAX_REQUEST_BYTES:11534336",
		...extraVars(),
	];
	fs.writeSync(fd, `$ npx ${args.join(" ")}\n`);
	server = spawn("npx", args, {
		cwd: ROOT,
		env: WRANGLER_ENV,
		stdio: ["ignore", fd, fd],
		detached: true, // own process group: npx, wrangler and workerd are stopped together
	});
	fs.closeSync(fd);
	server.on("error", (err) => {
		serverExited = true;
		log(`could not start wrangler dev: ${err.message}`);
	});
	server.on("exit", () => {
		serverExited = true;
	});
}

async function stopServer() {
	const pgid = server?.pid;
	if (!pgid) return;
	if (await stopGroup(pgid, STOP_GRACE_MS)) {
		log(`wrangler dev (process group ${pgid}) ignored SIGTERM; it was killed`);
	}
	server = undefined;
}

function removeTmp() {
	if (!tmpDir) return;
	if (process.env.E2E_KEEP_STATE === "1") {
		log(`state and wrangler log kept in ${tmpDir}`);
	} else {
		fs.rmSync(tmpDir, { recursive: true, force: true });
	}
	tmpDir = undefined;
}

async function finish(code) {
	if (finishing) return;
	finishing = true;
	try {
		if (testRunner && testRunner.exitCode === null) testRunner.kill("SIGTERM");
		await stopServer();
	} finally {
		removeTmp();
		process.exit(code);
	}
}

// Last resort (process.exit from elsewhere, a crash): synchronous, so only SIGKILL and rm.
process.on("exit", () => {
	if (server?.pid) {
		try {
			signalGroup(server.pid, "SIGKILL");
		} catch (err) {
			log(`kill(-${server.pid}): ${err.message}`);
		}
	}
	if (tmpDir && process.env.E2E_KEEP_STATE !== "1") {
		fs.rmSync(tmpDir, { recursive: true, force: true });
	}
});
for (const [signal, code] of [
	["SIGINT", 130],
	["SIGTERM", 143],
	["SIGHUP", 129],
]) {
	process.on(signal, () => {
		log(`${signal} received, stopping wrangler dev`);
		finish(code);
	});
}

async function waitUntilReady(url) {
	const deadline = Date.now() + READY_TIMEOUT_MS;
	let last = "no answer yet";
	while (Date.now() < deadline) {
		if (serverExited) throw new Error("wrangler dev exited before it was ready");
		if (finishing) return;
		try {
			const res = await fetch(`${url}/versions`, { signal: AbortSignal.timeout(2_000) });
			await res.arrayBuffer();
			if (res.status === 200) return;
			last = `GET /versions answered ${res.status}`;
		} catch (err) {
			last = err.cause?.code ?? err.message;
		}
		await sleep(200);
	}
	throw new Error(`wrangler dev was not ready after ${READY_TIMEOUT_MS / 1000} s (${last})`);
}

function runTests(url) {
	const tokens = devTokens();
	const files = testFiles();
	if (files.length === 0) throw new Error(`no *.e2e.test.mjs files in ${E2E_DIR}`);
	testRunner = spawn(process.execPath, ["--test", "--test-reporter=dot", ...files], {
		cwd: ROOT,
		stdio: ["inherit", "pipe", "inherit"],
		env: {
			...process.env,
			E2E_URL: url,
			E2E_ADMIN_TOKEN: tokens.admin,
			E2E_DEMO_TOKEN: tokens.demo,
			E2E_ALT_TOKEN: tokens.alt,
			E2E_WRANGLER_LOG: logPath,
		},
	});
	testRunner.stdout.on("data", (chunk) => {
		process.stdout.write(chunk);
		runnerOutput = (runnerOutput + chunk.toString("utf8")).slice(-RUNNER_OUTPUT_CHARS);
	});
	return new Promise((resolve, reject) => {
		testRunner.on("error", reject);
		// "close", not "exit": the runner's last output (its failures) may still be in the pipe.
		testRunner.on("close", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
	});
}

async function main() {
	const started = Date.now();
	tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-e2e-"));
	logPath = path.join(tmpDir, "wrangler.log");

	const migrated = await runLogged("npx", [
		"wrangler",
		"d1",
		"migrations",
		"apply",
		"DB",
		"--local",
		"--persist-to",
		tmpDir,
	]);
	if (migrated !== 0) {
		printLogTail(`applying the D1 migrations failed (exit ${migrated})`);
		return finish(1);
	}

	// Picked just before use, to keep the window in which another process could take them short.
	const [port, inspectorPort] = await freePorts();
	const url = `http://127.0.0.1:${port}`;
	serverUrl = url;
	startServer(port, inspectorPort);
	try {
		await waitUntilReady(url);
	} catch (err) {
		log(err.message);
		printLogTail("wrangler dev did not come up");
		return finish(1);
	}
	log(`wrangler dev ready at ${url} after ${((Date.now() - started) / 1000).toFixed(1)} s`);

	const code = await runTests(url);
	testRunner = undefined;
	if (finishing) return; // interrupted: finish() is already stopping everything
	if (code !== 0) {
		printLogTail(`e2e tests failed (exit ${code})`);
		if (!serverExited) await printServerState();
		printFailures();
	}
	if (serverExited) log("note: wrangler dev exited during the tests");
	return finish(code);
}

main().catch((err) => {
	log(err.stack ?? String(err));
	if (logPath) printLogTail("e2e driver error");
	finish(1);
});
