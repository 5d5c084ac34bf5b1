// `npm run example-image` (scripts/example-image.mjs): a qcow2 the server's content checks take
// for what it says (the walkthrough's upload is checked end to end by test/e2e/readme.e2e.test.mjs),
// and one qemu-img finds no fault in where qemu-img is installed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { exampleQcow2 } from "../../scripts/example-image.mjs";

test("a qcow2 v3 header: 64 KiB clusters, a 64 MiB disk, no backing file, no feature bits", () => {
	const image = exampleQcow2();
	assert.equal(image.subarray(0, 4).toString("latin1"), "QFI\xfb");
	assert.equal(image.readUInt32BE(4), 3);
	assert.equal(image.readBigUInt64BE(8), 0n);
	assert.equal(image.readUInt32BE(20), 16);
	assert.equal(image.readBigUInt64BE(24), 64n * 1024n * 1024n);
	assert.equal(image.readBigUInt64BE(72), 0n);
	assert.equal(image.length, 9 * 65536);
	assert.ok(image.includes("glance-edge example image"));
});

test("qemu-img check finds no errors", (t) => {
	const probe = spawnSync("qemu-img", ["--version"]);
	if (probe.error) {
		t.skip("qemu-img is not installed");
		return;
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-example-"));
	try {
		const file = path.join(dir, "example.qcow2");
		fs.writeFileSync(file, exampleQcow2());
		const r = spawnSync("qemu-img", ["check", file], { encoding: "utf8" });
		assert.equal(r.status, 0, r.stdout + r.stderr);
		assert.match(r.stdout, /No errors were found/);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});
