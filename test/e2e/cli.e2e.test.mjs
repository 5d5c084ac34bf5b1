// The glance-edge CLI (bin/glance-edge.mjs) against the real worker under `wrangler dev`: a
// multi-part upload through an upload session, verified in the background, downloaded back
// byte for byte; resuming a session that already holds a part; resuming a download with Range.
// Run through `npm run test:e2e`, which starts the server and sets E2E_URL.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const BIN = path.resolve(import.meta.dirname, "..", "..", "bin", "glance-edge.mjs");
const CLI_TIMEOUT_MS = 120_000;
const MiB = 1024 * 1024;

const md5 = (data) => createHash("md5").update(data).digest("hex");
const sha512 = (data) => createHash("sha512").update(data).digest("hex");

/** Runs the CLI with the server and token in the environment; resolves {code, stdout, stderr}. */
function cli(args) {
	return new Promise((resolve, reject) => {
		const env = { ...process.env, OS_IMAGE_URL: BASE, OS_AUTH_TOKEN: TOKEN };
		const child = spawn(process.execPath, [BIN, ...args], {
			env,
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
		const timer = setTimeout(() => child.kill("SIGKILL"), CLI_TIMEOUT_MS);
		child.on("error", reject);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}

async function api(method, urlPath, { json, body, headers = {} } = {}) {
	const init = { method, headers: { "X-Auth-Token": TOKEN, ...headers } };
	if (json !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(json);
	} else if (body !== undefined) {
		init.body = body;
	}
	const res = await fetch(`${BASE}${urlPath}`, init);
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : null };
}

let dir;
let data;
let file;
let uploaded;

before(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-cli-e2e-"));
	data = randomBytes(12 * MiB + 4321);
	file = path.join(dir, "cli-e2e.img");
	fs.writeFileSync(file, data);
});
after(() => {
	fs.rmSync(dir, { recursive: true, force: true });
});

describe("glance-edge CLI against wrangler dev", () => {
	test("uploads a 12 MiB file in parts; the active image carries its MD5 and SHA-512", async () => {
		const r = await cli([
			"upload",
			file,
			"--name",
			"e2e-cli",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
			"--property",
			"source=cli-e2e",
			"--parallel",
			"3",
			"--json",
		]);
		assert.equal(r.code, 0, r.stderr);
		uploaded = JSON.parse(r.stdout);
		assert.equal(uploaded.status, "active");
		assert.equal(uploaded.size, data.length);
		assert.equal(uploaded.checksum, md5(data));
		assert.equal(uploaded.os_hash_algo, "sha512");
		assert.equal(uploaded.os_hash_value, sha512(data));
		assert.equal(uploaded.properties.source, "cli-e2e");
		assert.match(r.stderr, /is active: .*md5 and sha512 verified/);
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false, "state file removed");
	});

	test("downloads it back byte for byte", async (t) => {
		if (!uploaded) return t.skip("the upload failed");
		const out = path.join(dir, "download.img");
		const r = await cli(["download", uploaded.id, out]);
		assert.equal(r.code, 0, r.stderr);
		const got = fs.readFileSync(out);
		assert.equal(md5(got), md5(data));
		assert.equal(sha512(got), sha512(data));
		assert.equal(fs.existsSync(`${out}.part`), false);
	});

	test("resumes a download from an existing .part with Range", async (t) => {
		if (!uploaded) return t.skip("the upload failed");
		const out = path.join(dir, "resumed.img");
		fs.writeFileSync(`${out}.part`, data.subarray(0, 5 * MiB + 3));
		const r = await cli(["download", uploaded.id, out]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stderr, /resuming the download of image \S+ at 5\.2 MB/);
		assert.equal(sha512(fs.readFileSync(out)), sha512(data));
	});

	test("resumes an upload session that already holds a part, sending only the others", async () => {
		const reg = await api("POST", "/v1/images", {
			json: { name: "e2e-cli-resume", disk_format: "raw", container_format: "bare" },
		});
		assert.equal(reg.status, 202, JSON.stringify(reg.body));
		const id = reg.body.image.id;
		const opened = await api("POST", `/v1/images/${id}/upload-session`, {
			json: { size: data.length, checksum: md5(data), os_hash_value: sha512(data) },
		});
		assert.equal(opened.status, 201, JSON.stringify(opened.body));
		const { part_size: partSize, part_count: partCount } = opened.body.session;
		assert.ok(partSize >= 5 * MiB, `part_size ${partSize} is at least 5 MiB`);
		assert.ok(partCount >= 2, `${partCount} parts`);
		const part2 = data.subarray(partSize, Math.min(2 * partSize, data.length));
		const put = await api("PUT", `/v1/images/${id}/upload-session/parts/2`, {
			body: part2,
			headers: { "Content-Type": "application/octet-stream" },
		});
		assert.equal(put.status, 200, JSON.stringify(put.body));

		const r = await cli(["upload", file, "--id", id, "--json"]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(
			r.stderr,
			new RegExp(`1 of ${partCount} parts already stored; uploading ${partCount - 1}`),
		);
		const image = JSON.parse(r.stdout);
		assert.equal(image.id, id);
		assert.equal(image.status, "active");
		assert.equal(image.checksum, md5(data));
		assert.equal(image.os_hash_value, sha512(data));
	});

	test("a wrong token is refused with exit code 2", async () => {
		const r = await cli([
			"download",
			"00000000-0000-0000-0000-000000000000",
			path.join(dir, "x"),
			"--token",
			"not-a-token",
		]);
		assert.equal(r.code, 2, r.stderr);
		assert.match(r.stderr, /error: downloading image \S+: HTTP 401/);
	});
});

describe("glance-edge upload --import (Image API v2, glance-direct)", () => {
	const importArgs = (source, name) => [
		"upload",
		source,
		"--import",
		"--name",
		name,
		"--disk-format",
		"raw",
		"--container-format",
		"bare",
		"--property",
		"source=cli-e2e-import",
		"--parallel",
		"3",
		"--json",
	];

	test("imports a file larger than MAX_REQUEST_BYTES, staged in parts; downloads equal it", async () => {
		// The file does not fit in one request on this server: a one-request stage is refused.
		const probe = await api("POST", "/v2/images", {
			json: { name: "e2e-cli-import-probe", disk_format: "raw", container_format: "bare" },
		});
		assert.equal(probe.status, 201, JSON.stringify(probe.body));
		const staged = await fetch(`${BASE}/v2/images/${probe.body.id}/stage`, {
			method: "PUT",
			headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/octet-stream" },
			body: data,
		});
		assert.equal(staged.status, 413, await staged.text());
		await api("DELETE", `/v2/images/${probe.body.id}`);

		const r = await cli(importArgs(file, "e2e-cli-import"));
		assert.equal(r.code, 0, r.stderr);
		const image = JSON.parse(r.stdout);
		assert.equal(image.status, "active");
		assert.equal(image.size, data.length);
		assert.equal(image.checksum, md5(data));
		assert.equal(image.os_hash_value, sha512(data));
		assert.equal(image.source, "cli-e2e-import");
		assert.match(r.stderr, /is active \(imported\): .*md5 and sha512 verified/);
		const tasks = await api("GET", `/v2/images/${image.id}/tasks`);
		assert.equal(tasks.body.tasks[0].status, "success");

		const download = await fetch(`${BASE}/v2/images/${image.id}/file`, {
			headers: { "X-Auth-Token": TOKEN },
		});
		assert.equal(download.status, 200);
		const got = Buffer.from(await download.arrayBuffer());
		assert.equal(got.length, data.length);
		assert.ok(got.equals(data), "the downloaded bytes are the file's");
	});

	test("imports a small file staged in one request", async () => {
		const small = randomBytes(300_000);
		const smallFile = path.join(dir, "small.img");
		fs.writeFileSync(smallFile, small);
		const r = await cli(importArgs(smallFile, "e2e-cli-import-small"));
		assert.equal(r.code, 0, r.stderr);
		const image = JSON.parse(r.stdout);
		assert.equal(image.status, "active");
		assert.equal(image.checksum, md5(small));
		assert.equal(image.os_hash_value, sha512(small));
	});
});
