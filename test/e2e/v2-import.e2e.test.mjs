// Glance v2's interoperable import (glance-direct) by the real clients against `wrangler dev`:
// python-glanceclient's `image-create-via-import` with a real qcow2 and `openstack image create
// --import`. The import is verified by the worker's queue consumer; the tests poll the image
// until it is active. Run through `npm run test:e2e`, which starts the server and sets E2E_URL.
// Without the clients on PATH these tests are skipped, unless REQUIRE_OPENSTACK=1 or
// REQUIRE_GLANCECLIENT=1 (CI).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import {
	BASE,
	DEMO_TOKEN,
	glance,
	glancePath,
	need,
	ok,
	onPath,
	openstack,
	openstackPath,
	run,
	scratch,
	table,
	UUID,
	v2Image,
} from "./lib/v2-shell.mjs";

const IMPORT_TIMEOUT_MS = 60_000;
const FIXTURE = path.resolve(import.meta.dirname, "..", "fixtures", "images", "qcow2-v3.qcow2.gz");

const shellQuote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;

/**
 * `glance` under a pseudo-terminal (util-linux script: -q quiet, -e its exit code): glanceclient
 * takes any stdin that is not a terminal as image data, and `image-create-via-import` refuses
 * `--file` together with such a stdin.
 */
async function glanceOnTerminal(args, dir, token = DEMO_TOKEN) {
	const command = ["glance", "--os-image-url", BASE, "--os-auth-token", token, ...args]
		.map(shellQuote)
		.join(" ");
	const res = await run(["script", "-qec", command, "/dev/null"], dir);
	// The terminal ends its lines with \r\n.
	return { ...res, output: res.output.replaceAll("\r\n", "\n") };
}

/** A real qcow2: made by qemu-img when it is installed, else the fixture of test/fixtures. */
function qcow2File(dir) {
	const file = path.join(dir, "disk.qcow2");
	if (onPath("qemu-img")) {
		execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, "64M"]);
	} else {
		fs.writeFileSync(file, gunzipSync(fs.readFileSync(FIXTURE)));
	}
	const data = fs.readFileSync(file);
	return {
		file,
		size: data.length,
		md5: createHash("md5").update(data).digest("hex"),
		sha512: createHash("sha512").update(data).digest("hex"),
	};
}

/** Polls the image until its import ended (active, or queued again after a failure). */
async function importEnded(id, token = DEMO_TOKEN) {
	const deadline = Date.now() + IMPORT_TIMEOUT_MS;
	for (;;) {
		const image = await v2Image(id, token);
		if (image.status !== "importing") return image;
		if (Date.now() > deadline) assert.fail(`image ${id} is still importing`);
		await sleep(300);
	}
}

describe("glance image-create-via-import (glance-direct)", () => {
	test("imports a real qcow2: staged, imported, verified, active with its digests", async (t) => {
		if (!need(t, "glance", glancePath) || !need(t, "script", onPath("script"))) return;
		const dir = scratch(t);
		const disk = qcow2File(dir);
		const name = `via-import-${crypto.randomUUID().slice(0, 8)}`;
		const created = await ok(
			glanceOnTerminal(
				[
					"image-create-via-import",
					"--name",
					name,
					"--disk-format",
					"qcow2",
					"--container-format",
					"bare",
					"--import-method",
					"glance-direct",
					"--file",
					disk.file,
				],
				dir,
			),
		);
		const rows = table(created.output);
		assert.match(rows.id ?? "", UUID, created.output);
		const image = await importEnded(rows.id);
		assert.equal(image.status, "active", JSON.stringify(image));
		assert.equal(image.size, disk.size);
		assert.equal(image.checksum, disk.md5);
		assert.equal(image.os_hash_value, disk.sha512);
		assert.ok(image.virtual_size > 0, "virtual_size comes from the qcow2 header");

		// The client downloads it and checks the SHA-512 itself.
		const out = path.join(dir, "out.qcow2");
		await ok(glance(["image-download", rows.id, "--file", out], dir));
		assert.deepEqual(fs.readFileSync(out), fs.readFileSync(disk.file));
		const usage = await ok(glance(["usage"], dir));
		assert.match(usage.output, /image_stage_total/);
	});

	test("import-info lists glance-direct only; a bad import method is refused by the client", async (t) => {
		if (!need(t, "glance", glancePath)) return;
		const dir = scratch(t);
		const info = await ok(glance(["import-info"], dir));
		// The table wraps the value; its cells read as one string without the borders.
		const cells = info.output.replace(/[\s|+-]/g, "");
		assert.ok(cells.includes('"value":["glancedirect"]'), info.output);
		assert.doesNotMatch(cells, /webdownload/);
		const refused = await glance(
			[
				"image-create-via-import",
				"--name",
				"x",
				"--disk-format",
				"raw",
				"--container-format",
				"bare",
				"--import-method",
				"web-download",
				"--uri",
				"http://127.0.0.1/x",
			],
			dir,
		);
		assert.notEqual(refused.code, 0);
		assert.match(refused.output, /not valid for this cloud/);
	});
});

describe("openstack image create --import", () => {
	test("stages and imports through the SDK; the image becomes active", async (t) => {
		if (!need(t, "openstack", openstackPath)) return;
		const dir = scratch(t);
		const disk = qcow2File(dir);
		const name = `osc-import-${crypto.randomUUID().slice(0, 8)}`;
		const created = await ok(
			openstack(
				[
					"image",
					"create",
					name,
					"--import",
					"--file",
					disk.file,
					"--disk-format",
					"qcow2",
					"-f",
					"json",
				],
				dir,
			),
		);
		const record = JSON.parse(created.stdout);
		assert.match(record.id, UUID);
		const image = await importEnded(record.id);
		assert.equal(image.status, "active", JSON.stringify(image));
		assert.equal(image.checksum, disk.md5);
		assert.equal(image.os_hash_value, disk.sha512);
	});
});
