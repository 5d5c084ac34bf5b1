// The README's "Try it" walkthrough, run as it stands (the block between the walkthrough
// markers) with bash in a scratch directory against the e2e server: a newcomer pasting it into
// a shell after `npm start` must reach "download verified". Only the server URL is changed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const ROOT = path.resolve(import.meta.dirname, "..", "..");

function walkthrough() {
	const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
	const block = readme.match(
		/<!-- walkthrough[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- \/walkthrough -->/,
	);
	assert.ok(block, "README.md has the walkthrough block");
	return block[1];
}

test("README's Try it, pasted into bash, ends in a verified download", () => {
	const script = walkthrough();
	assert.ok(script.includes("API=http://127.0.0.1:8787"), "the walkthrough targets npm start");
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-readme-"));
	try {
		// Run outside the checkout, so nothing lands in it: npm is pointed at the project, and
		// `npm run example-image` writes where it was typed (INIT_CWD), as it does for a reader.
		const prelude = `npm() { command npm --prefix ${JSON.stringify(ROOT)} "$@"; }\n`;
		const body = prelude + script.replace("http://127.0.0.1:8787", BASE);
		const r = spawnSync("bash", ["-e", "-c", body], {
			cwd: dir,
			encoding: "utf8",
			env: {
				...process.env,
				PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
			},
			timeout: 120_000,
		});
		assert.equal(r.status, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
		assert.match(r.stdout, /registered [0-9a-f-]{36}/);
		assert.match(r.stdout, /x-image-meta-status: queued/);
		assert.match(r.stdout, /"status":"active"/);
		assert.match(r.stdout, /range verified/);
		assert.match(r.stdout, /download verified\n$/);
		assert.equal(fs.statSync(path.join(dir, "downloaded.qcow2")).size, 589_824);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
