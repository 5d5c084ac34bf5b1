// `glance-edge upload --import` (Image API v2, glance-direct) against the fake server: staging in
// one request or in parts, the import, its failure reason, the digests checked.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { startFakeServer, TOKEN } from "./fake-server.mjs";

const BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "glance-edge.mjs");
const MiB = 1024 * 1024;
const md5 = (data) => createHash("md5").update(data).digest("hex");
const sha512 = (data) => createHash("sha512").update(data).digest("hex");

let dir;
let server;

function run(args) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], {
			env: { PATH: process.env.PATH, HOME: dir },
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
		child.on("error", reject);
		child.on("close", (code) => resolve({ code, stdout, stderr }));
	});
}

const importArgs = (file, ...more) => [
	"upload",
	file,
	"--import",
	"--name",
	"imported",
	"--disk-format",
	"raw",
	"--container-format",
	"bare",
	"--url",
	server.url,
	"--token",
	TOKEN,
	"--json",
	...more,
];

function writeFile(name, size) {
	const file = path.join(dir, name);
	const data = randomBytes(size);
	fs.writeFileSync(file, data);
	return { file, data };
}

const requests = () =>
	server.log.map((e) => `${e.method} ${e.path.replace(/[0-9a-f-]{36}/, "ID")}`);

before(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-import-"));
});
after(async () => {
	await server?.close();
	fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
	await server?.close();
	server = await startFakeServer({ partSize: MiB });
});

describe("upload --import", () => {
	test("stages a file larger than 5 MiB in parallel parts, imports it and checks its digests", async () => {
		const { file, data } = writeFile("large.img", 6 * MiB + 7);
		const r = await run(importArgs(file, "--property", "os_distro=cirros", "--parallel", "3"));
		assert.equal(r.code, 0, r.stderr);
		const image = JSON.parse(r.stdout);
		assert.equal(image.status, "active");
		assert.equal(image.checksum, md5(data));
		assert.equal(image.os_hash_value, sha512(data));
		assert.equal(image.os_distro, "cirros");
		const sent = requests();
		assert.equal(sent[0], "POST /v2/images");
		assert.ok(sent.includes("POST /v2/images/ID/upload-session"));
		assert.equal(
			sent.filter((r) => r.startsWith("PUT /v2/images/ID/upload-session/parts/")).length,
			7,
		);
		assert.ok(!sent.includes("PUT /v2/images/ID/stage"), "not staged in one request");
		assert.ok(
			sent.indexOf("POST /v2/images/ID/upload-session/complete") <
				sent.indexOf("POST /v2/images/ID/import"),
		);
		// The session declared both digests, for the import's verification.
		assert.deepEqual(server.images.get(image.id).declared, {
			checksum: md5(data),
			os_hash_value: sha512(data),
		});
		assert.match(r.stderr, /is active \(imported\): .*md5 and sha512 verified/);
	});

	test("stages a small file in one request with its Content-Length", async () => {
		const { file, data } = writeFile("small.img", 300_000);
		const r = await run(importArgs(file));
		assert.equal(r.code, 0, r.stderr);
		assert.equal(JSON.parse(r.stdout).checksum, md5(data));
		const stage = server.log.find((e) => e.path.endsWith("/stage"));
		assert.equal(stage?.contentLength, "300000");
		assert.ok(!requests().some((r) => r.includes("upload-session")));
	});

	test("a failed import exits 3 with the reason of the image's task", async () => {
		server.hooks.killReason = "Image data is not a raw disk";
		const { file } = writeFile("bad.img", 2 * MiB);
		const r = await run(importArgs(file));
		assert.equal(r.code, 3, r.stderr);
		assert.match(r.stderr, /the import of image \S+ failed: Image data is not a raw disk/);
	});

	test("--state-dir does not apply to --import (exit 1)", async () => {
		const r = await run(importArgs("x.img", "--state-dir", dir));
		assert.equal(r.code, 1);
		assert.match(r.stderr, /--state-dir does not apply to --import/);
	});
});
