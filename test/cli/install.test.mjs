// The CLI as people install it: `npm pack ./cli`, `npm install -g` of the tarball into a
// temporary prefix, then `glance-edge` run from outside the checkout (no access to the
// project's node_modules or package.json), against the fake server.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startFakeServer, TOKEN } from "./fake-server.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let work;
let bin;
let server;

before(async () => {
	work = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-install-"));
	const quiet = ["--no-audit", "--no-fund", "--loglevel", "error"];
	const tarball = execFileSync(
		npm,
		["pack", path.join(ROOT, "cli"), "--pack-destination", work, ...quiet],
		{
			cwd: work,
			encoding: "utf8",
		},
	)
		.trim()
		.split("\n")
		.at(-1);
	const prefix = path.join(work, "prefix");
	execFileSync(
		npm,
		["install", "-g", "--prefix", prefix, "--offline", ...quiet, path.join(work, tarball)],
		{
			cwd: work,
			encoding: "utf8",
		},
	);
	bin = path.join(prefix, "bin", "glance-edge");
	server = await startFakeServer();
});
after(async () => {
	await server?.close();
	fs.rmSync(work, { recursive: true, force: true });
});

const outside = (args, env = {}) =>
	spawnSync(bin, args, {
		cwd: work,
		encoding: "utf8",
		env: { PATH: process.env.PATH, HOME: work, ...env },
	});

test("the installed command runs from outside the checkout: --version, --help", () => {
	assert.ok(!path.resolve(bin).startsWith(ROOT), bin);
	const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "cli", "package.json"), "utf8"));
	const v = outside(["--version"]);
	assert.equal(v.status, 0, v.stderr);
	assert.equal(v.stdout, `glance-edge ${version}\n`);
	const h = outside(["--help"]);
	assert.match(h.stdout, /glance-edge list/);
});

test("the installed command talks to a server", async () => {
	server.seedActive(randomBytes(10), { name: "installed" });
	// Not spawnSync: the fake server runs in this process and must keep answering.
	const { stdout } = await promisify(execFile)(bin, ["list", "--json", "--retry-for", "5"], {
		cwd: work,
		env: { PATH: process.env.PATH, HOME: work, OS_IMAGE_URL: server.url, OS_AUTH_TOKEN: TOKEN },
	});
	assert.equal(JSON.parse(stdout)[0].name, "installed");
});

test("the package holds only the CLI's modules", () => {
	const listing = execFileSync(npm, ["pack", "--dry-run", "--json", path.join(ROOT, "cli")], {
		cwd: work,
		encoding: "utf8",
	});
	const files = JSON.parse(listing)[0]
		.files.map((f) => f.path)
		.sort();
	assert.ok(files.includes("glance-edge.mjs") && files.includes("main.mjs"), files.join(" "));
	assert.deepEqual(
		files.filter((f) => !f.endsWith(".mjs") && f !== "package.json"),
		[],
	);
});
