// What the Image API v2 end-to-end tests share: the server they run against, the real clients'
// shells (`openstack`, `glance`) run with a scratch HOME, and the rule for a missing client
// (skipped, or a failure when REQUIRE_OPENSTACK/REQUIRE_GLANCECLIENT is set, as in CI).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
export const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLI_TIMEOUT_MS = 90_000;

/** The executable `name` on PATH, or null. */
export function onPath(name) {
	for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
		if (!dir) continue;
		const file = path.join(dir, name);
		try {
			fs.accessSync(file, fs.constants.X_OK);
			return file;
		} catch {}
	}
	return null;
}

export const openstackPath = onPath("openstack");
export const glancePath = onPath("glance");
const required = process.env.REQUIRE_OPENSTACK === "1" || process.env.REQUIRE_GLANCECLIENT === "1";

/** Skips the test when `tool` is missing, or fails it when the clients are required. */
export function need(t, tool, present) {
	if (present) return true;
	const why = `${tool} is not installed (apt-get install python3-openstackclient python3-glanceclient python3-openstacksdk)`;
	if (required) assert.fail(`REQUIRE_OPENSTACK/REQUIRE_GLANCECLIENT is set but ${why}`);
	t.skip(why);
	return false;
}

/** A scratch dir, used as HOME (no clouds.yaml, no glanceclient schema cache), removed after. */
export function scratch(t) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-v2-"));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	return dir;
}

/** Runs a command with stdin from /dev/null; resolves {code, stdout, output}. */
export function run(argv, dir) {
	const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")));
	env.HOME = dir;
	env.LC_ALL = "C.UTF-8";
	return new Promise((resolve, reject) => {
		const child = spawn(argv[0], argv.slice(1), {
			stdio: ["ignore", "pipe", "pipe"],
			env,
			cwd: dir,
		});
		let stdout = "";
		let output = "";
		child.stdout.on("data", (d) => {
			stdout += d;
			output += d;
		});
		child.stderr.on("data", (d) => {
			output += d;
		});
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`${argv.join(" ")} did not finish; output so far:\n${output}`));
		}, CLI_TIMEOUT_MS);
		child.on("error", (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			resolve({ code: code ?? signal, stdout, output });
		});
	});
}

/** The command's result, asserting it exited 0 (its output is the failure message). */
export async function ok(promise) {
	const res = await promise;
	assert.equal(res.code, 0, res.output);
	return res;
}

/**
 * `openstack` on its default image API (v2) with token auth. The endpoint is the v2 root: with
 * an endpoint override the SDK sends requests under it as they are (at the bare root they would
 * be unversioned paths, which Glance answers with 300).
 */
export function openstack(args, dir, token = DEMO_TOKEN) {
	return run(
		[
			"openstack",
			"--os-auth-type",
			"admin_token",
			"--os-endpoint",
			`${BASE}/v2`,
			"--os-token",
			token,
			...args,
		],
		dir,
	);
}

/** `glance` on its default API (v2, found through GET /versions) at the unversioned root. */
export function glance(args, dir, token = DEMO_TOKEN) {
	return run(["glance", "--os-image-url", BASE, "--os-auth-token", token, ...args], dir);
}

/** The v2 record straight from the API, for checks the CLIs do not print. */
export async function v2Image(id, token = DEMO_TOKEN) {
	const res = await fetch(`${BASE}/v2/images/${id}`, { headers: { "x-auth-token": token } });
	assert.equal(res.status, 200, await res.clone().text());
	return res.json();
}

/** Values of a glanceclient property table (`| key | value |`). */
export function table(output) {
	const rows = {};
	for (const line of output.split("\n")) {
		const m = /^\|\s*(\S+)\s*\|\s*(.*?)\s*\|$/.exec(line);
		if (m) rows[m[1]] = m[2];
	}
	return rows;
}
