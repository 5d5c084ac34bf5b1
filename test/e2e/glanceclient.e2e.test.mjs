// The real python-glanceclient v1 CLI (`glance`) against `wrangler dev`.
// Run through `npm run test:e2e`, which starts the server and sets E2E_URL.
//
// The v1 shell treats a non-terminal stdin as image data, so every call runs under a
// pseudo-terminal made by util-linux `script`. Without `glance` on PATH these tests are skipped,
// unless REQUIRE_GLANCECLIENT=1 (CI), which turns the skip into a failure.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const CLI_TIMEOUT_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function onPath(name) {
	for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
		if (!dir) continue;
		try {
			fs.accessSync(path.join(dir, name), fs.constants.X_OK);
			return true;
		} catch {}
	}
	return false;
}

const missing = [
	onPath("glance")
		? null
		: "python3-glanceclient is not installed (apt-get install python3-glanceclient)",
	onPath("script") ? null : "util-linux `script` is not installed (apt-get install util-linux)",
].filter(Boolean);
const required = process.env.REQUIRE_GLANCECLIENT === "1";

/** Skips the test when the tools are missing, or fails it when REQUIRE_GLANCECLIENT=1. */
function needTools(t) {
	if (missing.length === 0) return true;
	if (required) assert.fail(`REQUIRE_GLANCECLIENT=1 but ${missing.join("; ")}`);
	t.skip(missing.join("; "));
	return false;
}

const shellQuote = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

/** The `glance` command line (v1, token auth, no Keystone), quoted for sh. */
function glanceCommand(args, token) {
	const argv = [
		"glance",
		"--os-image-api-version",
		"1",
		"--os-image-url",
		BASE,
		"--os-auth-token",
		token,
		...args,
	];
	return argv.map(shellQuote).join(" ");
}

/** Runs `sh -c command` (stdin closed); resolves {code, output} with stdout and stderr together. */
function runShell(command, what) {
	// No OS_* settings from the caller's shell may leak in (e.g. OS_AUTH_URL, OS_CACERT).
	const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")));
	env.SHELL = "/bin/sh";
	env.LC_ALL = "C.UTF-8";
	return new Promise((resolve, reject) => {
		const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"], env });
		let output = "";
		child.stdout.on("data", (d) => {
			output += d;
		});
		child.stderr.on("data", (d) => {
			output += d;
		});
		const timer = setTimeout(() => {
			// script hangs up the pty when it dies, which ends glance with SIGHUP.
			child.kill("SIGTERM");
			setTimeout(() => child.kill("SIGKILL"), 2_000).unref();
			reject(
				new Error(
					`${what} did not finish in ${CLI_TIMEOUT_MS / 1000} s; output so far:\n${output}`,
				),
			);
		}, CLI_TIMEOUT_MS);
		child.on("error", (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			resolve({ code: code ?? signal, output: output.replaceAll("\r\n", "\n") });
		});
	});
}

/** Runs `glance <args>` under a pty (util-linux script: -q quiet, -e its exit code, -c the command). */
function glance(args, { token = DEMO_TOKEN } = {}) {
	const command = `script -qec ${shellQuote(glanceCommand(args, token))} /dev/null`;
	return runShell(command, `glance ${args.join(" ")}`);
}

/** Runs `cat <file> | glance <args>`: with a pipe as stdin the v1 CLI uploads it as image data. */
function glanceFromPipe(file, args, { token = DEMO_TOKEN } = {}) {
	return runShell(
		`cat ${shellQuote(file)} | ${glanceCommand(args, token)}`,
		`piped glance ${args.join(" ")}`,
	);
}

const md5File = (file) => createHash("md5").update(fs.readFileSync(file)).digest("hex");

/** Parses glanceclient's `| Property | Value |` table into an object. */
function parseTable(output) {
	const rows = {};
	for (const line of output.split("\n")) {
		const m = /^\|\s*(.*?)\s*\|\s*(.*?)\s*\|$/.exec(line.trim());
		if (m && m[1] !== "Property") rows[m[1]] = m[2];
	}
	return rows;
}

function describeRun(what, r) {
	return `${what} exited with ${r.code}; output:\n${r.output}`;
}

describe("glance (python-glanceclient v1 CLI)", { timeout: 4 * CLI_TIMEOUT_MS }, () => {
	test("image-create registers a queued image and image-show reads it back", async (t) => {
		if (!needTools(t)) return;
		const created = await glance([
			"image-create",
			"--name",
			"cirros",
			"--disk-format",
			"qcow2",
			"--container-format",
			"bare",
		]);
		assert.equal(created.code, 0, describeRun("image-create", created));
		const image = parseTable(created.output);
		assert.equal(image.status, "queued", describeRun("image-create", created));
		assert.equal(image.name, "cirros", describeRun("image-create", created));
		assert.equal(image.disk_format, "qcow2");
		assert.equal(image.container_format, "bare");
		assert.equal(image.is_public, "False");
		assert.equal(image.owner, "demo");
		assert.match(image.id ?? "", UUID, describeRun("image-create", created));

		const shown = await glance(["image-show", image.id]);
		assert.equal(shown.code, 0, describeRun("image-show", shown));
		const meta = parseTable(shown.output);
		assert.equal(meta.id, image.id, describeRun("image-show", shown));
		assert.equal(meta.status, "queued", describeRun("image-show", shown));
		assert.equal(meta.name, "cirros");
		assert.equal(meta.size, "0");
	});

	test("image-create sends properties and numeric fields as headers that round-trip", async (t) => {
		if (!needTools(t)) return;
		const created = await glance([
			"image-create",
			"--name",
			"cirros-props",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
			"--min-ram",
			"64",
			"--min-disk",
			"1",
			"--property",
			"os_distro=cirros",
		]);
		assert.equal(created.code, 0, describeRun("image-create", created));
		const image = parseTable(created.output);
		assert.equal(image.status, "queued");
		assert.equal(image.min_ram, "64");
		assert.equal(image.min_disk, "1");
		// Like image-show, image-create flattens properties into `Property '<key>'` rows.
		assert.equal(image["Property 'os_distro'"], "cirros", describeRun("image-create", created));

		const shown = await glance(["image-show", image.id]);
		assert.equal(shown.code, 0, describeRun("image-show", shown));
		const meta = parseTable(shown.output);
		assert.equal(meta.min_ram, "64");
		assert.equal(meta["Property 'os_distro'"], "cirros", describeRun("image-show", shown));
	});

	test("a bad token gives glanceclient's credentials error and exit code 1", async (t) => {
		if (!needTools(t)) return;
		const r = await glance(["image-show", "00000000-0000-4000-8000-000000000000"], {
			token: "not-a-real-token",
		});
		assert.equal(r.code, 1, describeRun("image-show", r));
		assert.match(r.output, /Invalid OpenStack Identity credentials/);
	});

	test("drives the whole life of an image: upload, list with paging, show, update, download, delete", async (t) => {
		if (!needTools(t)) return;
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-cli-"));
		t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
		const file = path.join(dir, "disk.raw");
		fs.writeFileSync(file, randomBytes(5 * 1024 * 1024 + 3));
		const md5 = md5File(file);
		const tag = `life-${Date.now()}`;
		const base = ["--disk-format", "raw", "--container-format", "bare"];

		// --file: a chunked body with x-image-meta-size.
		const fromFile = await glance([
			"image-create",
			"--name",
			tag,
			...base,
			"--file",
			file,
			"--property",
			`suite=${tag}`,
		]);
		assert.equal(fromFile.code, 0, describeRun("image-create --file", fromFile));
		const image = parseTable(fromFile.output);
		assert.equal(image.status, "active", describeRun("image-create --file", fromFile));
		assert.equal(image.checksum, md5);
		assert.equal(image.size, String(5 * 1024 * 1024 + 3));

		// A pipe: chunked, no size at all. Nothing would tell a hang-up from the end, so it is
		// refused by default with a message that names --size; with --size the pipe works.
		const unsized = await glanceFromPipe(file, [
			"image-create",
			"--name",
			`${tag}-nosize`,
			...base,
		]);
		assert.notEqual(unsized.code, 0, describeRun("piped image-create without --size", unsized));
		assert.match(unsized.output, /--size/, describeRun("piped image-create", unsized));
		const piped = await glanceFromPipe(file, [
			"image-create",
			"--name",
			`${tag}-pipe`,
			"--size",
			String(5 * 1024 * 1024 + 3),
			...base,
			"--property",
			`suite=${tag}`,
		]);
		assert.equal(piped.code, 0, describeRun("piped image-create", piped));
		assert.equal(parseTable(piped.output).checksum, md5, describeRun("piped image-create", piped));

		// Paging: 5 images of one name, 2 per page → the client follows markers across 3 pages.
		for (let i = 0; i < 3; i++) {
			const r = await glance([
				"image-create",
				"--name",
				tag,
				...base,
				"--property",
				`suite=${tag}`,
			]);
			assert.equal(r.code, 0, describeRun("image-create", r));
		}
		const listed = await glance(["image-list", "--name", tag, "--page-size", "2"]);
		assert.equal(listed.code, 0, describeRun("image-list", listed));
		const rows = listed.output.split("\n").filter((l) => l.includes(tag));
		assert.equal(rows.length, 4, describeRun("image-list", listed));
		const filtered = await glance([
			"image-list",
			"--property-filter",
			`suite=${tag}`,
			"--status",
			"active",
		]);
		assert.equal(
			filtered.output.split("\n").filter((l) => l.includes(tag)).length,
			2,
			describeRun("image-list", filtered),
		);

		// Update merges properties (the CLI sends x-glance-registry-purge-props: false).
		const updated = await glance([
			"image-update",
			image.id,
			"--name",
			`${tag}-renamed`,
			"--property",
			"os_distro=cirros",
			"--min-ram",
			"128",
		]);
		assert.equal(updated.code, 0, describeRun("image-update", updated));
		const shown = parseTable((await glance(["image-show", image.id])).output);
		assert.equal(shown.name, `${tag}-renamed`);
		assert.equal(shown.min_ram, "128");
		assert.equal(shown["Property 'os_distro'"], "cirros");
		assert.equal(shown["Property 'suite'"], tag);

		// Download: the client verifies the MD5 itself.
		const out = path.join(dir, "download.raw");
		const downloaded = await glance(["image-download", image.id, "--file", out]);
		assert.equal(downloaded.code, 0, describeRun("image-download", downloaded));
		assert.equal(md5File(out), md5);

		const deleted = await glance(["image-delete", image.id]);
		assert.equal(deleted.code, 0, describeRun("image-delete", deleted));
		assert.doesNotMatch(deleted.output, /Unable to delete/, describeRun("image-delete", deleted));
		const gone = await glance(["image-show", image.id]);
		assert.notEqual(gone.code, 0, describeRun("image-show after delete", gone));
	});
});
