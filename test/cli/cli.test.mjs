// The glance-edge CLI (bin/glance-edge.mjs) run as a child process against an in-memory fake of
// the upload-session API (fake-server.mjs, 1 MiB parts): multi-part upload, resume after a kill
// and after a failed run, retries, verification failures, download with Range, exit codes.
// Run with `node --test test/cli/`.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startFakeServer, TOKEN } from "./fake-server.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "glance-edge.mjs");
const MiB = 1024 * 1024;

const md5 = (data) => createHash("md5").update(data).digest("hex");
const sha512 = (data) => createHash("sha512").update(data).digest("hex");

let server;
let dir;

function cleanEnv(extra = {}) {
	const env = { ...process.env };
	delete env.OS_IMAGE_URL;
	delete env.OS_AUTH_TOKEN;
	return { ...env, ...extra };
}

/** Starts the CLI; resolves {code, stdout, stderr} when it exits. */
function startCli(args, { env = {}, timeoutMs = 30_000 } = {}) {
	const child = spawn(process.execPath, [BIN, ...args], {
		cwd: dir,
		env: cleanEnv(env),
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
	const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
	const done = new Promise((resolve, reject) => {
		child.on("error", reject);
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			resolve({ code, signal, stdout, stderr });
		});
	});
	return { child, done };
}

const run = (args, options) => startCli(args, options).done;
const auth = () => ["--url", server.url, "--token", TOKEN];
const uploadArgs = (file, ...more) => [
	"upload",
	file,
	"--name",
	"test-image",
	"--disk-format",
	"raw",
	"--container-format",
	"bare",
	...auth(),
	...more,
];

function writeFile(name, size) {
	const file = path.join(dir, name);
	const data = randomBytes(size);
	fs.writeFileSync(file, data);
	return { file, data };
}

async function waitFor(predicate, what, timeoutMs = 15_000) {
	const deadline = Date.now() + timeoutMs;
	while (!predicate()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await sleep(20);
	}
}

before(async () => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-cli-"));
});
after(() => {
	fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
	await server?.close();
	server = await startFakeServer({ partSize: MiB });
});
after(async () => {
	await server?.close();
});

describe("upload", () => {
	test("a multi-part upload completes, verifies and prints the image", async () => {
		const { file, data } = writeFile("multi.img", 5 * MiB + 12345);
		const r = await run(
			uploadArgs(file, "--property", "os_distro=cirros", "--json", "--parallel", "3"),
		);
		assert.equal(r.code, 0, r.stderr);
		const image = JSON.parse(r.stdout);
		assert.equal(image.status, "active");
		assert.equal(image.checksum, md5(data));
		assert.equal(image.os_hash_value, sha512(data));
		assert.equal(image.size, data.length);
		assert.equal(image.properties.os_distro, "cirros");
		assert.equal(image.is_public, false);
		// Every part sent once, with an exact Content-Length and no chunked encoding.
		const puts = server.log.filter((e) => e.part !== undefined);
		assert.deepEqual(
			puts.map((e) => e.part).sort((a, b) => a - b),
			[1, 2, 3, 4, 5, 6],
		);
		for (const e of puts) {
			assert.equal(e.status, 200);
			assert.equal(e.transferEncoding, undefined);
			assert.equal(Number(e.contentLength), e.part === 6 ? 12345 : MiB);
		}
		// The file was hashed while its parts went up: both digests are declared when completing.
		assert.deepEqual(server.images.get(image.id).declaredAtCompletion, {
			checksum: md5(data),
			os_hash_value: sha512(data),
		});
		// The parts reached the server in order (it hashes them as they arrive), though three
		// requests were open at once. (When a part's bytes are all handed to the socket, the next
		// part's request starts: the server may still be reading the last ones.)
		assert.deepEqual(
			[...puts].sort((a, b) => a.startedAt - b.startedAt).map((e) => e.part),
			[1, 2, 3, 4, 5, 6],
		);
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false, "state file removed");
		assert.match(r.stderr, /is active: .*md5 and sha512 verified/);
	});

	test("prints only the image id on stdout, and nothing on stderr with --quiet", async () => {
		const { file } = writeFile("quiet.img", 2 * MiB + 1);
		const r = await run(uploadArgs(file, "--quiet"));
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stderr, "");
		const id = r.stdout.trim();
		assert.equal(server.images.get(id)?.status, "active");
	});

	test("a part answered 503 once is retried and the upload completes", async () => {
		const { file } = writeFile("retry.img", 4 * MiB);
		server.hooks.partFailures.set(2, [503]);
		server.hooks.partFailures.set(3, [429]);
		const r = await run(uploadArgs(file));
		assert.equal(r.code, 0, r.stderr);
		const puts = server.log.filter((e) => e.part !== undefined);
		assert.deepEqual(
			puts.filter((e) => e.part === 2).map((e) => e.status),
			[503, 200],
		);
		assert.deepEqual(
			puts.filter((e) => e.part === 3).map((e) => e.status),
			[429, 200],
		);
		assert.equal(puts.filter((e) => e.part === 1).length, 1);
		// Parts failing together are one outage: one note for both.
		assert.match(r.stderr, /uploading part [23] of 4: HTTP (503|429); retrying/);
		assert.equal(r.stderr.match(/retrying in/g).length, 1, r.stderr);
	});

	test("a part refused with 400 is not retried: exit 2 with the server's message", async () => {
		const { file } = writeFile("refused.img", 3 * MiB);
		server.hooks.partAlwaysFail.set(2, 400);
		const r = await run(uploadArgs(file, "--parallel", "1"));
		assert.equal(r.code, 2, r.stderr);
		assert.equal(server.log.filter((e) => e.part === 2).length, 1);
		assert.match(r.stderr, /error: uploading part 2 of 3: HTTP 400 Bad Request: injected failure/);
		assert.equal(
			r.stderr
				.trim()
				.split("\n")
				.filter((l) => l.includes("error:")).length,
			1,
		);
	});

	test("a killed CLI resumes on re-run without re-sending the parts already stored", async () => {
		const { file, data } = writeFile("killed-midway.img", 8 * MiB + 99); // 9 parts
		server.hooks.hangParts.add(5);
		const first = startCli(uploadArgs(file, "--parallel", "2"));
		// Part 5 hangs; the other worker stores the remaining parts meanwhile.
		const img = () => [...server.images.values()][0];
		await waitFor(() => img()?.session?.parts.size === 8, "8 stored parts");
		assert.ok(fs.existsSync(`${file}.glance-edge.json`), "state file written");
		first.child.kill("SIGKILL");
		await first.done;
		const stored = [...img().session.parts.keys()].sort((a, b) => a - b);
		assert.deepEqual(stored, [1, 2, 3, 4, 6, 7, 8, 9]);

		server.hooks.hangParts.clear();
		const mark = server.log.length;
		const second = await run(uploadArgs(file, "--json"));
		assert.equal(second.code, 0, second.stderr);
		assert.deepEqual(server.storedPartPuts(mark), [5], "only the missing part is sent");
		const rerun = server.log.slice(mark);
		assert.equal(rerun.filter((e) => e.method === "POST" && e.path === "/v1/images").length, 0);
		assert.match(second.stderr, /resuming the upload of image/);
		assert.match(second.stderr, /8 of 9 parts already stored; uploading 1/);
		const image = JSON.parse(second.stdout);
		assert.equal(image.id, img().id);
		assert.equal(image.checksum, md5(data));
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false);
	});

	test("parts failing until the server recovers: exit 4, then a re-run sends only those", async () => {
		const { file } = writeFile("flaky.img", 6 * MiB);
		server.hooks.partAlwaysFail.set(3, 500);
		server.hooks.partAlwaysFail.set(4, 502);
		const first = await run(uploadArgs(file, "--retries", "1", "--parallel", "1"));
		assert.equal(first.code, 4, first.stderr);
		assert.match(first.stderr, /error: uploading part 3 of 6: HTTP 500 .*\(2 attempts\)/);
		const image = [...server.images.values()][0];
		assert.equal(image.status, "queued");
		assert.deepEqual([...image.session.parts.keys()].sort(), [1, 2]);

		server.hooks.partAlwaysFail.clear();
		const mark = server.log.length;
		const second = await run(uploadArgs(file));
		assert.equal(second.code, 0, second.stderr);
		assert.deepEqual(
			server.storedPartPuts(mark).sort((a, b) => a - b),
			[3, 4, 5, 6],
		);
		assert.equal(image.status, "active");
	});

	test("a session gone while the image is still queued: a new session is opened", async () => {
		const { file } = writeFile("new-session.img", 3 * MiB);
		server.hooks.partAlwaysFail.set(2, 500);
		const first = await run(uploadArgs(file, "--retries", "0", "--parallel", "1"));
		assert.equal(first.code, 4, first.stderr);
		const image = [...server.images.values()][0];
		image.session = null; // expired, or aborted by someone
		server.hooks.partAlwaysFail.clear();
		const mark = server.log.length;
		const second = await run(uploadArgs(file));
		assert.equal(second.code, 0, second.stderr);
		assert.deepEqual(server.storedPartPuts(mark).sort(), [1, 2, 3]);
		assert.equal(image.status, "active");
	});

	test("a CLI killed while the server verifies picks up the verification on re-run", async () => {
		const { file, data } = writeFile("verify-wait.img", 2 * MiB + 1);
		server.hooks.holdVerification = true;
		const first = startCli(uploadArgs(file));
		const img = () => [...server.images.values()][0];
		await waitFor(() => img()?.status === "saving", "the upload to complete");
		first.child.kill("SIGKILL");
		await first.done;
		const mark = server.log.length;
		const second = startCli(uploadArgs(file, "--json"));
		await waitFor(
			() => server.log.slice(mark).some((e) => e.method === "HEAD"),
			"the re-run to poll",
		);
		server.release();
		const r = await second.done;
		assert.equal(r.code, 0, r.stderr);
		assert.equal(JSON.parse(r.stdout).checksum, md5(data));
		const rerun = server.log.slice(mark);
		assert.equal(
			rerun.filter((e) => e.part !== undefined || e.path.endsWith("/complete")).length,
			0,
		);
	});

	test("a status poll the server never answers is asked again, and the upload finishes", async () => {
		const { file, data } = writeFile("lost-poll.img", 2 * MiB + 7);
		server.hooks.holdVerification = true;
		server.hooks.hangSavingHeads = 1;
		const cli = startCli(uploadArgs(file, "--json"));
		await waitFor(() => server.hooks.hangSavingHeads === 0, "the poll left unanswered");
		const mark = server.log.length;
		await waitFor(
			() => server.log.slice(mark).some((e) => e.method === "HEAD"),
			"a poll after the one left unanswered",
		);
		server.release();
		const r = await cli.done;
		assert.equal(r.code, 0, r.stderr);
		assert.equal(JSON.parse(r.stdout).checksum, md5(data));
	});

	test("a file changed since the interrupted run starts over with a new image", async () => {
		const { file } = writeFile("changed.img", 2 * MiB);
		server.hooks.partAlwaysFail.set(2, 500);
		const first = await run(uploadArgs(file, "--retries", "0", "--parallel", "1"));
		assert.equal(first.code, 4, first.stderr);
		const old = [...server.images.values()][0];
		server.hooks.partAlwaysFail.clear();
		fs.appendFileSync(file, "more");
		const second = await run(uploadArgs(file));
		assert.equal(second.code, 0, second.stderr);
		assert.match(second.stderr, /changed since the interrupted upload/);
		assert.equal(server.images.size, 2);
		assert.equal(old.session, null, "the stale session was discarded");
		assert.equal(server.images.get(second.stdout.trim()).size, 2 * MiB + 4);
	});

	test("an image killed by verification: exit 3 with the reason", async () => {
		const { file } = writeFile("bad-format.img", 2 * MiB);
		server.hooks.killReason = "disk_format qcow2: the data is not a QCOW2 image";
		const r = await run(uploadArgs(file, "--json"));
		assert.equal(r.code, 3, r.stderr);
		assert.match(
			r.stderr,
			/error: image \S+ was killed by the server's verification: disk_format qcow2: the data is not a QCOW2 image/,
		);
		assert.equal(JSON.parse(r.stdout).status, "killed");
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false);
	});

	test("an active image whose sha512 differs from the file's: exit 3", async () => {
		const { file } = writeFile("lie.img", 1 * MiB + 3);
		server.hooks.lieSha512 = "0".repeat(128);
		const r = await run(uploadArgs(file));
		assert.equal(r.code, 3, r.stderr);
		assert.match(r.stderr, /does not match .*sha512 0000000000000000… on the server/);
	});

	test("--id uploads into an existing queued image; a foreign session is refused until aborted", async () => {
		const { file, data } = writeFile("by-id.img", 2 * MiB + 5);
		const reg = await fetch(`${server.url}/v1/images`, {
			method: "POST",
			headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
			body: JSON.stringify({ name: "pre", disk_format: "raw", container_format: "bare" }),
		});
		const { image } = await reg.json();
		await fetch(`${server.url}/v1/images/${image.id}/upload-session`, {
			method: "POST",
			headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
			body: JSON.stringify({ size: 123 }),
		});
		const refusedRun = await run(["upload", file, "--id", image.id, ...auth()]);
		assert.equal(refusedRun.code, 2, refusedRun.stderr);
		assert.match(refusedRun.stderr, /upload session open for other data .*glance-edge abort/);

		const aborted = await run(["abort", image.id, ...auth()]);
		assert.equal(aborted.code, 0, aborted.stderr);
		const again = await run(["abort", image.id, ...auth()]);
		assert.equal(again.code, 2);

		const r = await run(["upload", file, "--id", image.id, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim(), image.id);
		assert.equal(server.images.get(image.id).checksum, md5(data));
	});

	test("a wrong token is refused: exit 2", async () => {
		const { file } = writeFile("token.img", 10);
		const r = await run([
			"upload",
			file,
			"--name",
			"x",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
			"--url",
			server.url,
			"--token",
			"wrong",
		]);
		assert.equal(r.code, 2, r.stderr);
		assert.match(
			r.stderr,
			/error: registering the image: HTTP 401 Unauthorized: This server could not verify/,
		);
	});

	test("an unreachable server: exit 4 after the retries", async () => {
		const { file } = writeFile("unreachable.img", 10);
		const closed = await startFakeServer();
		const url = closed.url;
		await closed.close();
		const r = await run([
			"upload",
			file,
			"--name",
			"x",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
			"--url",
			url,
			"--token",
			TOKEN,
			"--retries",
			"1",
		]);
		assert.equal(r.code, 4, r.stderr);
		assert.match(r.stderr, /error: registering the image: .*ECONNREFUSED.*\(2 attempts\)/);
	});

	test("OS_IMAGE_URL and OS_AUTH_TOKEN are used when no options are given", async () => {
		const { file } = writeFile("env.img", MiB);
		const r = await run(
			["upload", file, "--name", "e", "--disk-format", "raw", "--container-format", "bare", "-q"],
			{ env: { OS_IMAGE_URL: `${server.url}/v1/`, OS_AUTH_TOKEN: TOKEN } },
		);
		assert.equal(r.code, 0, r.stderr);
	});
});

describe("download", () => {
	test("resumes an existing .part with Range and verifies the result", async () => {
		const data = randomBytes(3 * MiB + 5);
		const id = server.seedActive(data);
		const out = path.join(dir, "resume.out");
		fs.writeFileSync(`${out}.part`, data.subarray(0, MiB + 7));
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		const gets = server.log.filter((e) => e.method === "GET");
		assert.deepEqual(
			gets.map((e) => e.range),
			[`bytes=${MiB + 7}-`],
		);
		assert.equal(md5(fs.readFileSync(out)), md5(data));
		assert.equal(fs.existsSync(`${out}.part`), false);
		assert.match(r.stderr, /resuming the download .* at 1\.0 MB/);
		assert.match(r.stderr, /md5 and sha512 verified/);
	});

	test("a connection dropped mid-body is resumed with Range in the same run", async () => {
		const data = randomBytes(4 * MiB);
		const id = server.seedActive(data);
		const out = path.join(dir, "drop.out");
		server.hooks.dropDownloadAfter = 1536 * 1024;
		const r = await run(["download", id, out, ...auth(), "--json"]);
		assert.equal(r.code, 0, r.stderr);
		const ranges = server.log.filter((e) => e.method === "GET").map((e) => e.range);
		assert.equal(ranges.length, 2);
		assert.equal(ranges[0], undefined);
		assert.match(ranges[1], /^bytes=\d+-$/);
		assert.equal(sha512(fs.readFileSync(out)), sha512(data));
		assert.equal(JSON.parse(r.stdout).id, id);
	});

	test("a 503 is retried", async () => {
		const data = randomBytes(MiB);
		const id = server.seedActive(data);
		const out = path.join(dir, "503.out");
		server.hooks.downloadFailures.push(503);
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(md5(fs.readFileSync(out)), md5(data));
	});

	test("a stale .part that does not verify is downloaded again from the start", async () => {
		const data = randomBytes(2 * MiB);
		const id = server.seedActive(data);
		const out = path.join(dir, "stale.out");
		fs.writeFileSync(`${out}.part`, randomBytes(MiB));
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		const ranges = server.log.filter((e) => e.method === "GET").map((e) => e.range);
		assert.deepEqual(ranges, [`bytes=${MiB}-`, undefined]);
		assert.match(r.stderr, /does not verify .*downloading it again from the start/);
		assert.equal(md5(fs.readFileSync(out)), md5(data));
	});

	test("a complete .part is checked (416) and renamed", async () => {
		const data = randomBytes(MiB);
		const id = server.seedActive(data);
		const out = path.join(dir, "complete.out");
		fs.writeFileSync(`${out}.part`, data);
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(md5(fs.readFileSync(out)), md5(data));
	});

	test("a server ignoring Range gets the whole image again", async () => {
		const data = randomBytes(2 * MiB);
		const id = server.seedActive(data);
		const out = path.join(dir, "norange.out");
		fs.writeFileSync(`${out}.part`, data.subarray(0, MiB));
		server.hooks.ignoreRange = true;
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(md5(fs.readFileSync(out)), md5(data));
	});

	test("a checksum that does not match: exit 3, no file left", async () => {
		const data = randomBytes(MiB);
		const id = server.seedActive(data, { checksum: "0".repeat(32) });
		const out = path.join(dir, "mismatch.out");
		const r = await run(["download", id, out, ...auth()]);
		assert.equal(r.code, 3, r.stderr);
		assert.match(
			r.stderr,
			/error: download of image \S+ does not verify: md5 \w+ here, 0{32} on the server/,
		);
		assert.equal(fs.existsSync(out), false);
		assert.equal(fs.existsSync(`${out}.part`), false);
	});

	test("an image that is not active: exit 2 with the server's message", async () => {
		const reg = await fetch(`${server.url}/v1/images`, {
			method: "POST",
			headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
			body: JSON.stringify({ name: "q", disk_format: "raw", container_format: "bare" }),
		});
		const { image } = await reg.json();
		const r = await run(["download", image.id, path.join(dir, "queued.out"), ...auth()]);
		assert.equal(r.code, 2, r.stderr);
		assert.match(r.stderr, /HTTP 404 Not Found: Image \S+ is not active/);
	});
});

describe("usage", () => {
	test("--help prints the usage and the exit codes", async () => {
		const r = await run(["--help"]);
		assert.equal(r.code, 0);
		assert.match(r.stdout, /^Usage:/);
		assert.match(r.stdout, /Exit status:/);
		assert.match(r.stdout, /OS_IMAGE_URL/);
	});

	const cases = [
		[[], /no command given/],
		[["frobnicate"], /unknown command "frobnicate"/],
		[["upload"], /upload takes <file>/],
		[["upload", "f.img", "--url", "http://x", "--token", "t"], /upload needs --name/],
		[["upload", "f.img", "--bogus"], /Unknown option '--bogus'/],
		[
			["upload", "f.img", "--parallel", "0", "--id", "i", "--url", "http://x", "--token", "t"],
			/--parallel must be a whole number from 1 to 32/,
		],
		[
			[
				"upload",
				"f.img",
				"--property",
				"novalue",
				"--id",
				"i",
				"--url",
				"http://x",
				"--token",
				"t",
			],
			/--property must be KEY=VALUE/,
		],
		[
			["download", "id-only", "--url", "http://x", "--token", "t"],
			/download takes <image-id> <file>/,
		],
		[["download", "id", "out", "--name", "x"], /--name is not an option of download/],
		[
			["download", "id", "out", "--token", "t"],
			/no server URL: give --url, set OS_IMAGE_URL \(or OS_ENDPOINT\)/,
		],
		[
			["download", "id", "out", "--url", "http://x"],
			/no token: give --token, set OS_AUTH_TOKEN \(or OS_TOKEN\)/,
		],
		[
			["download", "id", "out", "--url", "ftp://x", "--token", "t"],
			/--url must be an http or https URL/,
		],
		[
			["upload", "does-not-exist.img", "--id", "i", "--url", "http://127.0.0.1:9", "--token", "t"],
			/cannot read does-not-exist\.img: ENOENT/,
		],
	];
	for (const [args, message] of cases) {
		test(`exit 1: ${args.join(" ") || "(no arguments)"}`, async () => {
			const r = await run(args);
			assert.equal(r.code, 1, r.stderr);
			assert.match(r.stderr, message);
			assert.equal(
				r.stderr.split("\n").filter((l) => l.startsWith("glance-edge: error:")).length,
				1,
			);
		});
	}

	test("exit 1: an empty file", async () => {
		const { file } = writeFile("empty.img", 0);
		const r = await run(uploadArgs(file));
		assert.equal(r.code, 1);
		assert.match(r.stderr, /is empty: there is nothing to upload/);
	});
});
