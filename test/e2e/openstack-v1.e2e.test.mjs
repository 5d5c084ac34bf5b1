// The real python-openstackclient (`openstack --os-image-api-version 1`) and openstacksdk against
// `wrangler dev`. Run through `npm run test:e2e`, which starts the server and sets E2E_URL.
//
// Without `openstack` on PATH these tests are skipped, unless REQUIRE_OPENSTACK=1 or
// REQUIRE_GLANCECLIENT=1 (CI), which turns the skip into a failure. The SDK script runs with the
// Python interpreter of the `openstack` script itself (its #! line), which is where the SDK is
// installed (Debian's python3-openstacksdk), whatever `python3` comes first on PATH.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const ADMIN_TOKEN = process.env.E2E_ADMIN_TOKEN ?? "dev-admin-token";
const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const CLI_TIMEOUT_MS = 90_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function onPath(name) {
	for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
		if (!dir) continue;
		const file = path.join(dir, name);
		try {
			fs.accessSync(file, fs.constants.X_OK);
			return file;
		} catch {}
	}
	return null;
}

const openstackPath = onPath("openstack");
const required = process.env.REQUIRE_OPENSTACK === "1" || process.env.REQUIRE_GLANCECLIENT === "1";
const missing = openstackPath
	? null
	: "python3-openstackclient is not installed (apt-get install python3-openstackclient python3-openstacksdk)";

/** Skips the test when `openstack` is missing, or fails it when it is required. */
function needTools(t) {
	if (!missing) return true;
	if (required) assert.fail(`REQUIRE_OPENSTACK/REQUIRE_GLANCECLIENT is set but ${missing}`);
	t.skip(missing);
	return false;
}

/** The interpreter named on the `openstack` script's #! line, else python3. */
function sdkPython() {
	try {
		const first = fs.readFileSync(openstackPath, "utf8").split("\n", 1)[0];
		const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
		if (m) return m[1].endsWith("/env") && m[2] ? [m[1], m[2]] : [m[1]];
	} catch {}
	return ["python3"];
}

/** A scratch dir with a clouds.yaml naming this server, removed after the test. */
function scratch(t) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-openstack-"));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const cloud = (token, extra = "") =>
		[
			"    auth_type: admin_token",
			"    auth:",
			`      endpoint: ${BASE}/v1`,
			`      token: ${token}`,
			'    image_api_version: "1"',
			extra,
		]
			.filter(Boolean)
			.join("\n");
	fs.writeFileSync(
		path.join(dir, "clouds.yaml"),
		[
			"clouds:",
			"  edge-admin:",
			cloud(ADMIN_TOKEN),
			"  edge-demo:",
			cloud(DEMO_TOKEN),
			// With an endpoint override keystoneauth discovers the version at /v1 first.
			"  edge-discover:",
			cloud(DEMO_TOKEN, `    image_endpoint_override: ${BASE}/v1`),
			"",
		].join("\n"),
	);
	return dir;
}

/** Runs a command with stdin from /dev/null; resolves {code, stdout, output}. */
function run(argv, dir, { input } = {}) {
	// No OS_* settings from the caller's shell may leak in (e.g. OS_AUTH_URL, OS_CLOUD).
	const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("OS_")));
	env.OS_CLIENT_CONFIG_FILE = path.join(dir, "clouds.yaml");
	env.HOME = dir; // no user clouds.yaml or cache from the machine
	env.LC_ALL = "C.UTF-8";
	return new Promise((resolve, reject) => {
		const child = spawn(argv[0], argv.slice(1), {
			stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
			env,
			cwd: dir,
		});
		let stdout = "";
		let output = "";
		child.stdout.on("data", (d) => {
			stdout += d;
			output += d;
		});
		child.stderr.on("data", (d) => {
			output += d;
		});
		if (input !== undefined) child.stdin.end(input);
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`${argv.join(" ")} did not finish; output so far:\n${output}`));
		}, CLI_TIMEOUT_MS);
		child.on("error", (err) => {
			clearTimeout(timer);
			reject(err);
		});
		child.on("close", (code, signal) => {
			clearTimeout(timer);
			resolve({ code: code ?? signal, stdout, output });
		});
	});
}

/** `openstack` with the documented flags: token auth, the /v1 endpoint, Image API v1. */
function openstack(args, dir, token = ADMIN_TOKEN) {
	return run(
		[
			"openstack",
			"--os-auth-type",
			"admin_token",
			"--os-endpoint",
			`${BASE}/v1`,
			"--os-token",
			token,
			"--os-image-api-version",
			"1",
			...args,
		],
		dir,
	);
}

const describeRun = (what, r) => `${what} exited with ${r.code}; output:\n${r.output}`;
const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");

async function showJson(args, dir, cloud) {
	const r = cloud
		? await run(["openstack", "--os-cloud", cloud, "image", "show", "-f", "json", ...args], dir)
		: await openstack(["image", "show", "-f", "json", ...args], dir);
	assert.equal(r.code, 0, describeRun("image show", r));
	return JSON.parse(r.stdout);
}

describe("openstack (python-openstackclient, Image API v1)", {
	timeout: 12 * CLI_TIMEOUT_MS,
}, () => {
	test("create --file, list, show by name and id, set, save, delete", async (t) => {
		if (!needTools(t)) return;
		const dir = scratch(t);
		const file = path.join(dir, "disk.raw");
		const data = randomBytes(3 * 1024 * 1024 + 5);
		fs.writeFileSync(file, data);
		const name = `osc-${Date.now()}`;

		const created = await openstack(
			[
				"image",
				"create",
				"--file",
				file,
				"--disk-format",
				"raw",
				"--container-format",
				"bare",
				"--min-ram",
				"64",
				"--property",
				"os_distro=cirros",
				"--public",
				name,
			],
			dir,
		);
		// python-openstackclient 6.0 uploads, then fails to print the SDK's answer
		// (`'Munch' object has no attribute 'to_dict'`, a client bug): the image is there all the same.
		const displayBug = created.code === 1 && /to_dict/.test(created.output);
		assert.ok(created.code === 0 || displayBug, describeRun("image create --file", created));

		// The v1 `image show` prints neither status nor checksum; `image save` checks the bytes.
		const byName = await showJson([name], dir);
		assert.match(byName.id, UUID);
		assert.equal(byName.size, data.length);
		assert.equal(byName.min_ram, 64);
		assert.equal(byName.is_public, true);
		assert.equal(byName.properties.os_distro, "cirros");

		const listed = await openstack(["image", "list", "-f", "json"], dir);
		assert.equal(listed.code, 0, describeRun("image list", listed));
		assert.ok(
			JSON.parse(listed.stdout).some((i) => i.ID === byName.id && i.Name === name),
			describeRun("image list", listed),
		);

		// By id: the SDK GETs /v1/images/{id} and parses JSON; it must not get the bytes.
		const byId = await showJson([byName.id], dir);
		assert.equal(byId.name, name);
		assert.equal(byId.size, data.length);
		assert.equal(byId.min_ram, 64);

		const set = await openstack(
			[
				"image",
				"set",
				"--name",
				`${name}-renamed`,
				"--property",
				"hw_disk_bus=virtio",
				"--min-disk",
				"2",
				"--private",
				byName.id,
			],
			dir,
		);
		assert.equal(set.code, 0, describeRun("image set", set));
		const afterSet = await showJson([byName.id], dir);
		assert.equal(afterSet.name, `${name}-renamed`);
		assert.equal(afterSet.min_disk, 2);
		assert.equal(afterSet.min_ram, 64);
		assert.equal(afterSet.is_public, false);
		assert.equal(afterSet.properties.hw_disk_bus, "virtio");
		assert.equal(afterSet.properties.os_distro, "cirros");

		const republished = await openstack(["image", "set", "--public", byName.id], dir);
		assert.equal(republished.code, 0, describeRun("image set --public", republished));
		assert.equal((await showJson([byName.id], dir)).is_public, true);

		const out = path.join(dir, "saved.raw");
		const saved = await openstack(["image", "save", "--file", out, byName.id], dir);
		assert.equal(saved.code, 0, describeRun("image save", saved));
		assert.ok(fs.readFileSync(out).equals(data), "image save wrote the image's bytes");

		const deleted = await openstack(["image", "delete", byName.id], dir);
		assert.equal(deleted.code, 0, describeRun("image delete", deleted));
		const gone = await openstack(["image", "show", byName.id], dir);
		assert.notEqual(gone.code, 0, describeRun("image show after delete", gone));
	});

	test("a non-admin's --public is refused, and a clouds.yaml works as the flags do", async (t) => {
		if (!needTools(t)) return;
		const dir = scratch(t);
		const file = path.join(dir, "small.raw");
		fs.writeFileSync(file, randomBytes(1000));
		const name = `osc-demo-${Date.now()}`;
		const refused = await openstack(
			[
				"image",
				"create",
				"--file",
				file,
				"--disk-format",
				"raw",
				"--container-format",
				"bare",
				"--public",
				name,
			],
			dir,
			DEMO_TOKEN,
		);
		assert.equal(refused.code, 1, describeRun("image create --public as demo", refused));
		assert.match(refused.output, /403|publicize/, describeRun("image create --public", refused));

		const listed = await run(
			["openstack", "--os-cloud", "edge-demo", "image", "list", "-f", "json"],
			dir,
		);
		assert.equal(listed.code, 0, describeRun("image list --os-cloud", listed));
		assert.ok(Array.isArray(JSON.parse(listed.stdout)));
	});
});

/** The SDK calls the README documents, against a cloud from clouds.yaml; prints one JSON line. */
const SDK_SCRIPT = `
import hashlib, json, sys
import openstack

cloud, path, name = sys.argv[1], sys.argv[2], sys.argv[3]
conn = openstack.connect(cloud=cloud)
data = open(path, "rb").read()
result = {}

image = conn.image.create_image(
    name, filename=path, disk_format="raw", container_format="bare",
    min_ram=128, properties={"os_distro": "cirros"}, wait=True)
result["created_id"] = image.id

listed = [i for i in conn.image.images() if i.id == image.id]
result["listed"] = [{"name": i.name, "status": i.status, "size": i.size} for i in listed]

fetched = conn.image.get_image(image.id)
result["fetched"] = {"name": fetched.name, "status": fetched.status, "min_ram": fetched.min_ram,
                     "checksum": fetched.checksum, "os_distro": (fetched.properties or {}).get("os_distro")}

downloaded = conn.image.download_image(image.id)
result["download_md5"] = hashlib.md5(downloaded.content).hexdigest()
result["file_md5"] = hashlib.md5(data).hexdigest()

updated = conn.image.update_image(image.id, name=name + "-renamed", min_disk=3)
again = conn.image.get_image(image.id)
result["updated"] = {"name": again.name, "min_disk": again.min_disk, "min_ram": again.min_ram}

conn.image.delete_image(image.id, ignore_missing=False)
result["after_delete"] = [i.id for i in conn.image.images() if i.id == image.id]
print(json.dumps(result))
`;

describe("openstacksdk (Image API v1)", { timeout: 4 * CLI_TIMEOUT_MS }, () => {
	for (const cloud of ["edge-demo", "edge-discover"]) {
		test(`create_image, images(), get_image, download_image, update_image, delete_image (${cloud})`, async (t) => {
			if (!needTools(t)) return;
			const dir = scratch(t);
			const file = path.join(dir, "sdk.raw");
			const data = randomBytes(2 * 1024 * 1024 + 1);
			fs.writeFileSync(file, data);
			const name = `sdk-${cloud}-${Date.now()}`;
			const r = await run([...sdkPython(), "-", cloud, file, name], dir, { input: SDK_SCRIPT });
			assert.equal(r.code, 0, describeRun("the openstacksdk script", r));
			const result = JSON.parse(r.stdout.trim().split("\n").at(-1));
			assert.match(result.created_id, UUID);
			assert.deepEqual(result.listed, [{ name, status: "active", size: data.length }]);
			assert.deepEqual(result.fetched, {
				name,
				status: "active",
				min_ram: 128,
				checksum: md5(data),
				os_distro: "cirros",
			});
			assert.equal(result.download_md5, md5(data));
			assert.equal(result.file_md5, md5(data));
			assert.deepEqual(result.updated, { name: `${name}-renamed`, min_disk: 3, min_ram: 128 });
			assert.deepEqual(result.after_delete, []);
		});
	}
});
