// The pipeline commands (list, show, set, delete, share, unshare), --version, the OpenStack ways
// of connecting (OS_TOKEN/OS_ENDPOINT, OS_CLOUD with clouds.yaml, Keystone password
// authentication against a stand-in Keystone in the fake server) and the error paths (wrong
// URL, no resume state after a refusal, --state-dir, an outage outlasting --retry-for).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { startFakeServer, TOKEN } from "./fake-server.mjs";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "glance-edge.mjs");
const MiB = 1024 * 1024;

let server;
let dir;

/** The environment without any OpenStack variable of the machine running the tests. */
function cleanEnv(extra = {}) {
	const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")));
	return { ...env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, "xdg"), ...extra };
}

function run(args, { env = {}, cwd = dir, timeoutMs = 60_000 } = {}) {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], {
			cwd,
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
		child.on("error", reject);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}

const auth = () => ["--url", server.url, "--token", TOKEN];

before(() => {
	dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-cmds-"));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
	await server?.close();
	server = await startFakeServer({ partSize: MiB });
});
after(async () => server?.close());

test("--version prints the CLI package's version", async () => {
	const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "cli", "package.json"), "utf8"));
	const r = await run(["--version"]);
	assert.equal(r.code, 0);
	assert.equal(r.stdout, `glance-edge ${version}\n`);
});

describe("list, show, set, delete, share, unshare", () => {
	test("list: tab-separated rows or --json, with filters", async () => {
		const a = server.seedActive(randomBytes(10), {
			name: "alpha",
			properties: { os_distro: "cirros" },
		});
		server.seedActive(randomBytes(20), { name: "beta" });
		const all = await run(["list", ...auth()]);
		assert.equal(all.code, 0, all.stderr);
		const rows = all.stdout
			.trim()
			.split("\n")
			.map((l) => l.split("\t"));
		assert.equal(rows.length, 2);
		assert.deepEqual(
			rows.find((r) => r[0] === a),
			[a, "alpha", "active", "raw", "10"],
		);
		const json = await run(["list", "--name", "alpha", "--json", ...auth()]);
		assert.deepEqual(
			JSON.parse(json.stdout).map((i) => i.id),
			[a],
		);
		const byProperty = await run(["list", "--property", "os_distro=cirros", "--json", ...auth()]);
		assert.deepEqual(
			JSON.parse(byProperty.stdout).map((i) => i.id),
			[a],
		);
		const query = server.log.filter((e) => e.path === "/v1/images/detail");
		assert.equal(query.length, 3);
	});

	test("list pages through every image with marker; --limit stops early", async () => {
		for (let i = 0; i < 130; i++) server.seedActive(Buffer.from([i]), { name: `img-${i}` });
		const r = await run(["list", "--json", ...auth()]);
		assert.equal(JSON.parse(r.stdout).length, 130);
		assert.equal(server.log.filter((e) => e.path === "/v1/images/detail").length, 2);
		const limited = await run(["list", "--limit", "5", ...auth()]);
		assert.equal(limited.stdout.trim().split("\n").length, 5);
	});

	test("show: fields and properties, or --json", async () => {
		const id = server.seedActive(randomBytes(10), { name: "s", properties: { hw: "virtio" } });
		const r = await run(["show", id, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^name\ts$/m);
		assert.match(r.stdout, /^property:hw\tvirtio$/m);
		const json = JSON.parse((await run(["show", id, "--json", ...auth()])).stdout);
		assert.equal(json.size, 10);
		assert.deepEqual(json.properties, { hw: "virtio" });
		const missing = await run(["show", "nope", ...auth()]);
		assert.equal(missing.code, 2);
		assert.match(missing.stderr, /image nope not found/);
	});

	test("set: name, merged properties, protected, min_ram, public; --remove-property purges", async () => {
		const id = server.seedActive(randomBytes(10), { properties: { a: "1", b: "2" } });
		const r = await run([
			"set",
			id,
			"--name",
			"renamed",
			"--property",
			"c=3",
			"--protected",
			"--min-ram",
			"512",
			"--public",
			...auth(),
		]);
		assert.equal(r.code, 0, r.stderr);
		const img = server.images.get(id);
		assert.equal(img.name, "renamed");
		assert.deepEqual(img.properties, { a: "1", b: "2", c: "3" });
		assert.equal(img.protected, true);
		assert.equal(img.min_ram, 512);
		assert.equal(img.is_public, true);
		const removed = await run(["set", id, "--remove-property", "a", "--json", ...auth()]);
		assert.equal(removed.code, 0, removed.stderr);
		assert.deepEqual(img.properties, { b: "2", c: "3" });
		assert.equal(server.log.at(-1).purge, "true");
		assert.equal(JSON.parse(removed.stdout).name, "renamed");
		const nothing = await run(["set", id, ...auth()]);
		assert.equal(nothing.code, 1);
		const both = await run(["set", id, "--public", "--private", ...auth()]);
		assert.match(both.stderr, /--public and --private contradict/);
	});

	test("delete: several ids; a protected image is refused with exit 2", async () => {
		const a = server.seedActive(randomBytes(10));
		const b = server.seedActive(randomBytes(10));
		const r = await run(["delete", a, b, ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(server.images.size, 0);
		const p = server.seedActive(randomBytes(10), { protected: true });
		const refused = await run(["delete", p, ...auth()]);
		assert.equal(refused.code, 2);
		assert.match(refused.stderr, /protected/);
		assert.equal(refused.stderr.match(/error:/g).length, 1, refused.stderr);
	});

	test("share and unshare", async () => {
		const id = server.seedActive(randomBytes(10));
		const r = await run(["share", id, "alt", "--can-share", ...auth()]);
		assert.equal(r.code, 0, r.stderr);
		assert.deepEqual(server.images.get(id).members.get("alt"), { can_share: true });
		const u = await run(["unshare", id, "alt", ...auth()]);
		assert.equal(u.code, 0, u.stderr);
		assert.equal(server.images.get(id).members.has("alt"), false);
	});
});

describe("connecting the OpenStack way", () => {
	test("OS_ENDPOINT and OS_TOKEN (openstack's names) work as OS_IMAGE_URL and OS_AUTH_TOKEN", async () => {
		server.seedActive(randomBytes(10));
		const r = await run(["list"], { env: { OS_ENDPOINT: `${server.url}/v1`, OS_TOKEN: TOKEN } });
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim().split("\n").length, 1);
	});

	test("OS_CLOUD names a cloud in clouds.yaml (admin_token, as README shows for openstack)", async () => {
		server.seedActive(randomBytes(10));
		const file = path.join(dir, "clouds-token.yaml");
		fs.writeFileSync(
			file,
			`# as for python-openstackclient
clouds:
  other:
    auth: {}
  glance-edge:
    auth_type: admin_token
    auth:
      endpoint: "${server.url}/v1"   # with /v1, as the SDK needs
      token: ${TOKEN}
    image_api_version: "1"
`,
		);
		const r = await run(["list"], {
			env: { OS_CLOUD: "glance-edge", OS_CLIENT_CONFIG_FILE: file },
		});
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim().split("\n").length, 1);
		const missing = await run(["list", "--os-cloud", "nope"], {
			env: { OS_CLIENT_CONFIG_FILE: file },
		});
		assert.equal(missing.code, 1);
		assert.match(missing.stderr, /cloud "nope" is not in/);
	});

	test("~/.config/openstack/clouds.yaml is found without OS_CLIENT_CONFIG_FILE", async () => {
		const conf = path.join(dir, "xdg", "openstack");
		fs.mkdirSync(conf, { recursive: true });
		fs.writeFileSync(
			path.join(conf, "clouds.yaml"),
			`clouds:\n  home:\n    image_endpoint_override: ${server.url}\n    auth:\n      token: '${TOKEN}'\n`,
		);
		const r = await run(["list", "--os-cloud", "home"]);
		assert.equal(r.code, 0, r.stderr);
		fs.rmSync(path.join(dir, "xdg"), { recursive: true });
	});

	const keystoneEnv = () => ({
		OS_AUTH_URL: server.authUrl,
		OS_USERNAME: "demo",
		OS_PASSWORD: "secret",
		OS_PROJECT_NAME: "demo",
		OS_USER_DOMAIN_NAME: "Default",
		OS_PROJECT_DOMAIN_NAME: "Default",
	});

	test("Keystone password authentication; the image endpoint comes from the catalog", async () => {
		server.seedActive(randomBytes(10));
		const r = await run(["list"], { env: keystoneEnv() });
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim().split("\n").length, 1);
		assert.deepEqual(server.keystoneRequests.at(-1), {
			auth: {
				identity: {
					methods: ["password"],
					password: { user: { name: "demo", domain: { name: "Default" }, password: "secret" } },
				},
				scope: { project: { name: "demo", domain: { name: "Default" } } },
			},
		});
	});

	test("Keystone credentials from a cloud in clouds.yaml", async () => {
		const file = path.join(dir, "clouds-ks.yaml");
		fs.writeFileSync(
			file,
			`clouds:
  ks:
    region_name: RegionOne
    auth:
      auth_url: ${server.authUrl}
      username: demo
      password: secret
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
`,
		);
		const r = await run(["list"], { env: { OS_CLOUD: "ks", OS_CLIENT_CONFIG_FILE: file } });
		assert.equal(r.code, 0, r.stderr);
	});

	test("a wrong password: exit 2 with Keystone's message", async () => {
		const r = await run(["list"], { env: { ...keystoneEnv(), OS_PASSWORD: "wrong" } });
		assert.equal(r.code, 2);
		assert.match(
			r.stderr,
			/authenticating at .*\/v3\/auth\/tokens: HTTP 401: The request you have made requires authentication/,
		);
	});

	test("no image endpoint in the catalog for the interface asked: says to give --url", async () => {
		const r = await run(["list"], { env: { ...keystoneEnv(), OS_INTERFACE: "admin" } });
		assert.equal(r.code, 2);
		assert.match(r.stderr, /catalog has no admin image endpoint/);
	});
});

describe("error paths", () => {
	test("a wrong URL path is probed with /versions: not a glance-edge / Glance endpoint", async () => {
		const r = await run(["show", "x", "--url", `${server.url}/not-glance`, "--token", TOKEN]);
		assert.equal(r.code, 2);
		assert.match(r.stderr, /\/not-glance is not a glance-edge \/ Glance endpoint/);
		assert.ok(server.log.some((e) => e.path === "/not-glance/versions"));
		// The right URL: a missing image is just that.
		const right = await run(["show", "x", ...auth()]);
		assert.match(right.stderr, /image x not found/);
	});

	test("a registration refused (401) leaves no resume state behind", async () => {
		const file = path.join(dir, "refused.img");
		fs.writeFileSync(file, randomBytes(100));
		const args = [
			"upload",
			file,
			"--name",
			"n",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
		];
		const r = await run([...args, "--url", server.url, "--token", "wrong"]);
		assert.equal(r.code, 2);
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false);
	});

	test("--state-dir keeps the state there; a failed run says to run it again, which resumes", async () => {
		const file = path.join(dir, "state-dir.img");
		fs.writeFileSync(file, randomBytes(3 * MiB));
		const stateDir = path.join(dir, "state");
		const args = [
			"upload",
			file,
			"--name",
			"n",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
		];
		server.hooks.partAlwaysFail.set(2, 503);
		const first = await run([...args, "--state-dir", stateDir, "--retries", "0", ...auth()]);
		assert.equal(first.code, 4);
		assert.match(first.stderr, /run the same command again to resume\n$/);
		assert.equal(fs.existsSync(`${file}.glance-edge.json`), false);
		const states = fs.readdirSync(stateDir);
		assert.equal(states.length, 1);
		assert.match(states[0], /^state-dir\.img\.[0-9a-f]{12}\.glance-edge\.json$/);
		server.hooks.partAlwaysFail.clear();
		const second = await run([...args, "--state-dir", stateDir, ...auth()]);
		assert.equal(second.code, 0, second.stderr);
		assert.match(second.stderr, /resuming the upload of image/);
		assert.deepEqual(fs.readdirSync(stateDir), []);
	});

	test("a server gone mid-upload: retried for --retry-for, one note per outage, then the hint", async () => {
		const file = path.join(dir, "outage.img");
		fs.writeFileSync(file, randomBytes(4 * MiB));
		const args = [
			"upload",
			file,
			"--name",
			"n",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
		];
		// Every part fails as if the server were gone; four in parallel.
		for (const n of [1, 2, 3, 4]) server.hooks.partAlwaysFail.set(n, 502);
		const started = Date.now();
		const r = await run([...args, "--retry-for", "3", ...auth()]);
		const seconds = (Date.now() - started) / 1000;
		assert.equal(r.code, 4, r.stderr);
		// Waits of about 1 and 2 s (jittered) fit in 3 s; the next (about 4 s) would not.
		assert.ok(seconds >= 1.5 && seconds < 10, `gave up after ${seconds} s`);
		const notes = r.stderr.match(/retrying in/g) ?? [];
		assert.equal(notes.length, 1, r.stderr);
		assert.match(
			r.stderr,
			/error: uploading part \d of 4: HTTP 502 .*\(\d+ attempts\); run the same command again to resume\n$/,
		);
		assert.ok(fs.existsSync(`${file}.glance-edge.json`));
	});

	test("not a terminal: a progress line at the start of the upload", async () => {
		const file = path.join(dir, "progress.img");
		fs.writeFileSync(file, randomBytes(2 * MiB));
		const r = await run([
			"upload",
			file,
			"--name",
			"n",
			"--disk-format",
			"raw",
			"--container-format",
			"bare",
			...auth(),
		]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stderr, /^glance-edge: uploading 2\.1 MB$/m);
	});
});
