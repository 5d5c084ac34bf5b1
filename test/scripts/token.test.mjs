// `npm run token` (scripts/token.mjs): a token and the AUTH_TOKENS entry holding its SHA-256.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { test } from "node:test";

const SCRIPT = path.resolve(import.meta.dirname, "..", "..", "scripts", "token.mjs");

test("prints a token and its AUTH_TOKENS entry, which the worker's hashing matches", () => {
	const r = spawnSync(process.execPath, [SCRIPT, "--tenant", "demo", "--roles", "member,reader"], {
		encoding: "utf8",
	});
	assert.equal(r.status, 0, r.stderr);
	const token = r.stdout.match(/^token:\s+(\S+)$/m)?.[1];
	const entry = JSON.parse(r.stdout.match(/^AUTH_TOKENS entry:\s+(.+)$/m)?.[1] ?? "null");
	assert.ok(token && token.length >= 40);
	assert.deepEqual(entry, {
		token_sha256: createHash("sha256").update(token).digest("hex"),
		tenant: "demo",
		roles: ["member", "reader"],
	});
});

test("two tokens differ; --tenant is required", () => {
	const once = () =>
		JSON.parse(
			spawnSync(process.execPath, [SCRIPT, "--tenant", "t", "--json"], { encoding: "utf8" }).stdout,
		).token;
	assert.notEqual(once(), once());
	const r = spawnSync(process.execPath, [SCRIPT], { encoding: "utf8" });
	assert.equal(r.status, 1);
	assert.match(r.stderr, /--tenant is required/);
});
