// scripts/cloudflare.mjs (npm run setup:cloudflare / npm run deploy) against a stand-in
// `wrangler` on PATH that records its calls (test/scripts/stand-in/), in a scratch copy of
// wrangler.toml, with a local server standing in for the deployed worker's /healthz.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import {
	deployedUrl,
	environmentConfig,
	listed,
	withDatabaseId,
} from "../../scripts/cloudflare.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const SCRIPT = path.join(ROOT, "scripts", "cloudflare.mjs");
const STAND_IN = path.join(import.meta.dirname, "stand-in");

let worker;
let workerUrl;
let healthy = true;

before(async () => {
	worker = http.createServer((req, res) => {
		const ok = req.url === "/healthz" && healthy;
		res.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" });
		res.end(JSON.stringify({ status: ok ? "ok" : "failing" }));
	});
	await new Promise((resolve) => worker.listen(0, "127.0.0.1", resolve));
	workerUrl = `http://127.0.0.1:${worker.address().port}`;
});
/** Each test's scratch project, removed when the file is done. */
const projects = [];
after(() => {
	worker.close();
	for (const dir of projects) fs.rmSync(dir, { recursive: true, force: true });
});

function project() {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-deploy-"));
	projects.push(dir);
	fs.copyFileSync(path.join(ROOT, "wrangler.toml"), path.join(dir, "wrangler.toml"));
	return {
		dir,
		log: path.join(dir, "calls.jsonl"),
		state: path.join(dir, "account.json"),
		calls() {
			const text = fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8") : "";
			fs.rmSync(this.log, { force: true });
			return text
				.split("\n")
				.filter(Boolean)
				.map((l) => JSON.parse(l).join(" "));
		},
	};
}

function run(p, args) {
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [SCRIPT, ...args], {
			cwd: p.dir,
			env: {
				...process.env,
				PATH: `${STAND_IN}${path.delimiter}${process.env.PATH}`,
				FAKE_WRANGLER_LOG: p.log,
				FAKE_WRANGLER_STATE: p.state,
				FAKE_WORKER_URL: workerUrl,
				GLANCE_EDGE_HEALTH_TIMEOUT_MS: "2000",
			},
			stdio: ["ignore", "pipe", "pipe"],
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		child.on("close", (code) => resolve({ code, stdout, stderr }));
	});
}

describe("npm run setup:cloudflare", () => {
	test("creates the queues, D1 and R2, writes the database id, migrates; a second run creates nothing", async () => {
		const p = project();
		const first = await run(p, ["setup", "--env", "staging"]);
		assert.equal(first.code, 0, first.stderr);
		assert.deepEqual(p.calls(), [
			"whoami --json",
			"queues list",
			"queues create glance-edge-verify-staging-dlq",
			"queues create glance-edge-verify-staging",
			"d1 list --json",
			"d1 create glance-edge-staging",
			"d1 list --json",
			"r2 bucket list",
			"r2 bucket create glance-edge-images-staging",
			"d1 migrations apply DB --remote --env staging",
		]);
		const toml = fs.readFileSync(path.join(p.dir, "wrangler.toml"), "utf8");
		const id = JSON.parse(fs.readFileSync(p.state, "utf8")).databases[0].uuid;
		assert.equal(environmentConfig(toml, "staging").databaseId, id);
		assert.equal(environmentConfig(toml, "production").databaseId, undefined);

		const second = await run(p, ["setup", "--env", "staging"]);
		assert.equal(second.code, 0, second.stderr);
		assert.deepEqual(p.calls(), [
			"whoami --json",
			"queues list",
			"d1 list --json",
			"r2 bucket list",
			"d1 migrations apply DB --remote --env staging",
		]);
		assert.match(second.stderr, /already there/);
		assert.equal(fs.readFileSync(path.join(p.dir, "wrangler.toml"), "utf8"), toml);
	});

	test("not logged in: stops before anything, saying to run wrangler login, and the plan needed", async () => {
		const p = project();
		fs.writeFileSync(
			p.state,
			JSON.stringify({ loggedIn: false, queues: [], databases: [], buckets: [], workers: {} }),
		);
		const r = await run(p, ["setup"]);
		assert.equal(r.code, 1);
		assert.match(r.stderr, /wrangler login/);
		assert.match(r.stderr, /Workers Paid/);
		assert.deepEqual(p.calls(), ["whoami --json"]);
	});
});

describe("npm run deploy", () => {
	test("a first deploy sets up, mints an admin token, deploys with it, checks /healthz and prints snippets", async () => {
		const p = project();
		const r = await run(p, ["deploy"]);
		assert.equal(r.code, 0, r.stderr);
		const calls = p.calls();
		assert.deepEqual(calls.slice(0, 10), [
			"whoami --json",
			"queues list",
			"queues create glance-edge-verify-production-dlq",
			"queues create glance-edge-verify-production",
			"d1 list --json",
			"d1 create glance-edge-production",
			"d1 list --json",
			"r2 bucket list",
			"r2 bucket create glance-edge-images-production",
			"d1 migrations apply DB --remote --env production",
		]);
		assert.equal(calls[10], "secret list --env production --format json");
		assert.match(calls[11], /^deploy --env production --secrets-file \S+secrets\.json$/);
		assert.equal(calls.length, 12);
		// The temporary secrets file is gone; the account has a hashed token only.
		assert.equal(fs.existsSync(calls[11].split(" ").at(-1)), false);
		const secrets = JSON.parse(fs.readFileSync(p.state, "utf8")).workers.production.secrets;
		const [entry] = JSON.parse(secrets.AUTH_TOKENS);
		assert.deepEqual(Object.keys(entry).sort(), ["roles", "tenant", "token_sha256", "user"]);
		const token = r.stdout.match(/\n {2}(ge_\S+)\n/)?.[1];
		assert.ok(token, r.stdout);
		const { createHash } = await import("node:crypto");
		assert.equal(entry.token_sha256, createHash("sha256").update(token).digest("hex"));
		assert.match(r.stdout, new RegExp(`OS_IMAGE_URL=${workerUrl} OS_AUTH_TOKEN=${token}`));
		assert.match(r.stdout, /glance image-list/);
		assert.match(r.stdout, /openstack .*--os-endpoint \S+\/v1/);
		assert.match(r.stderr, /"status":"ok"/);

		const again = await run(p, ["deploy"]);
		assert.equal(again.code, 0, again.stderr);
		assert.deepEqual(p.calls(), [
			"whoami --json",
			"queues list",
			"d1 list --json",
			"r2 bucket list",
			"d1 migrations apply DB --remote --env production",
			"secret list --env production --format json",
			"deploy --env production",
		]);
		assert.doesNotMatch(again.stdout, /ge_/);
	});

	test("--secrets-file is sent with the deploy even when secrets exist", async () => {
		const p = project();
		const file = path.join(p.dir, "secrets.json");
		fs.writeFileSync(
			file,
			JSON.stringify({ AUTH_TOKENS: '[{"token_sha256":"ab","tenant":"t","roles":[]}]' }),
		);
		const r = await run(p, ["deploy", "--env", "staging", "--secrets-file", file]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(p.calls().at(-1), /^deploy --env staging --secrets-file /);
		const secrets = JSON.parse(fs.readFileSync(p.state, "utf8")).workers.staging.secrets;
		assert.equal(secrets.AUTH_TOKENS, '[{"token_sha256":"ab","tenant":"t","roles":[]}]');
	});

	test("an unhealthy deployment fails with what /healthz said", async () => {
		const p = project();
		healthy = false;
		try {
			const r = await run(p, ["deploy", "--env", "staging"]);
			assert.equal(r.code, 1);
			assert.match(r.stderr, /healthz did not answer 200 .*HTTP 503/);
		} finally {
			healthy = true;
		}
	});
});

describe("helpers", () => {
	test("listed() does not take a name for its longer sibling", () => {
		assert.equal(listed("│ 1 │ glance-edge-verify-dlq │", "glance-edge-verify"), false);
		assert.equal(listed("│ 1 │ glance-edge-verify │", "glance-edge-verify"), true);
		assert.equal(listed("name:           glance-edge-images\n", "glance-edge-images"), true);
	});

	test("withDatabaseId() replaces an id already there", () => {
		const toml = withDatabaseId(
			fs.readFileSync(path.join(ROOT, "wrangler.toml"), "utf8"),
			"staging",
			"a",
		);
		assert.equal(
			environmentConfig(withDatabaseId(toml, "staging", "b"), "staging").databaseId,
			"b",
		);
	});

	test("deployedUrl() finds the workers.dev URL in wrangler's output", () => {
		const out =
			"Uploaded x (1 sec)\nDeployed x triggers (1 sec)\n  https://x.acct.workers.dev\n  schedule: */15 * * * *\n";
		assert.equal(deployedUrl(out), "https://x.acct.workers.dev");
	});
});
