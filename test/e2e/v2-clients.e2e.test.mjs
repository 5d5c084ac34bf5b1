// The real clients on Image API v2 against `wrangler dev`: Debian's `openstack` 6.0 CLI (its
// default image API is v2), python-glanceclient's v2 shell (`glance`, which discovers v2 through
// GET /versions) and openstacksdk. Run through `npm run test:e2e`, which starts the server and
// sets E2E_URL.
//
// Without the clients on PATH these tests are skipped, unless REQUIRE_OPENSTACK=1 or
// REQUIRE_GLANCECLIENT=1 (CI), which turns the skip into a failure. The SDK script runs with the
// interpreter of the `openstack` script's #! line, where Debian installs the SDK.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import {
	BASE,
	DEMO_TOKEN,
	glance,
	glancePath,
	need,
	ok,
	openstack,
	openstackPath,
	run,
	scratch,
	table,
	UUID,
	v2Image,
} from "./lib/v2-shell.mjs";

const ALT_TOKEN = process.env.E2E_ALT_TOKEN ?? "dev-alt-token";

/** The interpreter named on the `openstack` script's #! line, else python3. */
function sdkPython() {
	try {
		const first = fs.readFileSync(openstackPath, "utf8").split("\n", 1)[0];
		const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
		if (m) return m[1].endsWith("/env") && m[2] ? [m[1], m[2]] : [m[1]];
	} catch {}
	return ["python3"];
}

function imageFile(dir, size = 300_000) {
	const data = randomBytes(size);
	const file = path.join(dir, "image.raw");
	fs.writeFileSync(file, data);
	return { file, md5: createHash("md5").update(data).digest("hex"), data };
}

describe("openstack CLI 6.0 on Image API v2", () => {
	test("image create --file with properties, min-disk, tags, protected; show; list", async (t) => {
		if (!need(t, "openstack", openstackPath)) return;
		const dir = scratch(t);
		const { file, md5 } = imageFile(dir);
		const name = `osc-${crypto.randomUUID().slice(0, 8)}`;
		const created = await ok(
			openstack(
				[
					"image",
					"create",
					name,
					"--file",
					file,
					"--disk-format",
					"raw",
					"--property",
					"os_distro=cirros",
					"--min-disk",
					"1",
					"--tag",
					"t1",
					"--tag",
					"t2",
					"--protected",
					"-f",
					"json",
				],
				dir,
			),
		);
		const record = JSON.parse(created.stdout);
		assert.match(record.id, UUID);
		assert.equal(record.visibility, "shared");
		const stored = await v2Image(record.id);
		assert.equal(stored.status, "active");
		assert.equal(stored.checksum, md5);
		assert.equal(stored.min_disk, 1);
		assert.equal(stored.protected, true);
		assert.equal(stored.os_distro, "cirros");
		assert.deepEqual([...stored.tags].sort(), ["t1", "t2"]);

		const shown = JSON.parse(
			(await ok(openstack(["image", "show", name, "-f", "json"], dir))).stdout,
		);
		assert.equal(shown.id, record.id);
		assert.equal(shown.checksum, md5);

		const listed = JSON.parse(
			(await ok(openstack(["image", "list", "--long", "--tag", "t1", "-f", "json"], dir))).stdout,
		);
		const row = listed.find((r) => r.ID === record.id);
		assert.ok(row, JSON.stringify(listed));
		assert.equal(row.Checksum, md5);
		assert.equal(row.Visibility, "shared");
		const sorted = JSON.parse(
			(await ok(openstack(["image", "list", "--sort", "name:asc", "-f", "json"], dir))).stdout,
		);
		const names = sorted.map((r) => r.Name);
		assert.deepEqual(names, [...names].sort());
		const privateOnly = JSON.parse(
			(await ok(openstack(["image", "list", "--private", "-f", "json"], dir))).stdout,
		);
		assert.ok(!privateOnly.some((r) => r.ID === record.id));

		// Protected: delete refused until unprotected.
		const refused = await openstack(["image", "delete", record.id], dir);
		assert.notEqual(refused.code, 0);
		await ok(openstack(["image", "set", "--unprotected", record.id], dir));
		await ok(openstack(["image", "delete", record.id], dir));
		const gone = await fetch(`${BASE}/v2/images/${record.id}`, {
			headers: { "x-auth-token": DEMO_TOKEN },
		});
		assert.equal(gone.status, 404);
	});

	test("image set / unset (JSON-patch add and remove), save with bytes compared, delete", async (t) => {
		if (!need(t, "openstack", openstackPath)) return;
		const dir = scratch(t);
		const { file, data } = imageFile(dir, 123_457);
		const name = `osc-${crypto.randomUUID().slice(0, 8)}`;
		const { id } = JSON.parse(
			(
				await ok(
					openstack(
						[
							"image",
							"create",
							name,
							"--file",
							file,
							"--disk-format",
							"raw",
							"--tag",
							"a",
							"-f",
							"json",
						],
						dir,
					),
				)
			).stdout,
		);
		await ok(
			openstack(
				[
					"image",
					"set",
					name,
					"--name",
					`${name}-2`,
					"--property",
					"hw_disk_bus=virtio",
					"--tag",
					"b",
					"--min-ram",
					"256",
					"--private",
				],
				dir,
			),
		);
		let stored = await v2Image(id);
		assert.equal(stored.name, `${name}-2`);
		assert.equal(stored.hw_disk_bus, "virtio");
		assert.equal(stored.min_ram, 256);
		assert.equal(stored.visibility, "private");
		assert.deepEqual([...stored.tags].sort(), ["a", "b"]);

		await ok(
			openstack(["image", "unset", `${name}-2`, "--property", "hw_disk_bus", "--tag", "a"], dir),
		);
		stored = await v2Image(id);
		assert.equal(stored.hw_disk_bus, undefined);
		assert.deepEqual(stored.tags, ["b"]);

		const out = path.join(dir, "saved.raw");
		await ok(openstack(["image", "save", "--file", out, `${name}-2`], dir));
		assert.ok(Buffer.from(data).equals(fs.readFileSync(out)), "saved bytes differ");

		// Another project cannot see the private image.
		const hidden = await openstack(["image", "show", id], dir, ALT_TOKEN);
		assert.notEqual(hidden.code, 0);
		await ok(openstack(["image", "delete", `${name}-2`], dir));
	});
});

describe("python-glanceclient v2 shell", () => {
	test("image-create --file, image-list, image-show, image-update, image-tag-update, image-download, image-delete", async (t) => {
		if (!need(t, "glance", glancePath)) return;
		const dir = scratch(t);
		const { file, md5, data } = imageFile(dir, 200_001);
		const name = `gc-${crypto.randomUUID().slice(0, 8)}`;
		// glanceclient sends the file chunked, without Content-Length.
		const created = table(
			(
				await ok(
					glance(
						[
							"image-create",
							"--file",
							file,
							"--disk-format",
							"raw",
							"--container-format",
							"bare",
							"--name",
							name,
							"--property",
							"os_distro=debian",
						],
						dir,
					),
				)
			).stdout,
		);
		assert.match(created.id, UUID);
		assert.equal(created.status, "active");
		assert.equal(created.checksum, md5);
		assert.equal(created.os_distro, "debian");
		const id = created.id;

		const list = (await ok(glance(["image-list", "--property-filter", "os_distro=debian"], dir)))
			.stdout;
		assert.match(list, new RegExp(id));
		const shown = table((await ok(glance(["image-show", id], dir))).stdout);
		assert.equal(shown.name, name);
		assert.equal(shown.visibility, "shared");

		const updated = table(
			(
				await ok(
					glance(
						[
							"image-update",
							id,
							"--name",
							`${name}-2`,
							"--property",
							"hw_x=1",
							"--remove-property",
							"os_distro",
							"--min-ram",
							"128",
						],
						dir,
					),
				)
			).stdout,
		);
		assert.equal(updated.name, `${name}-2`);
		assert.equal(updated.hw_x, "1");
		assert.equal(updated.min_ram, "128");
		assert.equal(updated.os_distro, undefined);

		await ok(glance(["image-tag-update", id, "gtag"], dir));
		assert.deepEqual((await v2Image(id)).tags, ["gtag"]);
		await ok(glance(["image-tag-delete", id, "gtag"], dir));
		assert.deepEqual((await v2Image(id)).tags, []);

		const out = path.join(dir, "downloaded.raw");
		await ok(glance(["image-download", id, "--file", out], dir));
		assert.ok(Buffer.from(data).equals(fs.readFileSync(out)), "downloaded bytes differ");

		await ok(glance(["image-delete", id], dir));
		const gone = await glance(["image-show", id], dir);
		assert.notEqual(gone.code, 0);
		assert.match(gone.output, /not found/i);
	});
});

const SDK_SCRIPT = `
import hashlib, json, sys
import openstack
endpoint, token, path = sys.argv[1:4]
conn = openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": token})
img = conn.create_image("sdk-" + sys.argv[4], filename=path, disk_format="raw", container_format="bare",
                        wait=True, tags=["s1"], meta={"os_distro": "sdk"})
out = {"id": img.id, "status": img.status, "checksum": img.checksum}
conn.image.update_image(img, name="sdk-" + sys.argv[4] + "-2", min_ram=64)
shown = conn.image.get_image(img.id)
out["updated"] = [shown.name, shown.min_ram]
out["download_md5"] = hashlib.md5(conn.image.download_image(shown).content).hexdigest()
out["listed"] = [i.id for i in conn.image.images(name=shown.name)]
out["tagged"] = [i.id for i in conn.image.images(tag="s1", visibility="shared")]
conn.image.delete_image(img)
out["after_delete"] = [i.id for i in conn.image.images(name=shown.name)]
print(json.dumps(out))
`;

describe("openstacksdk on Image API v2", () => {
	test("create_image(filename=…), update_image, download_image, images(**filters), delete", async (t) => {
		if (!need(t, "openstack (with openstacksdk)", openstackPath)) return;
		const dir = scratch(t);
		const { file, md5 } = imageFile(dir, 77_777);
		const script = path.join(dir, "sdk.py");
		fs.writeFileSync(script, SDK_SCRIPT);
		const suffix = crypto.randomUUID().slice(0, 8);
		const res = await ok(
			run([...sdkPython(), script, `${BASE}/v2`, DEMO_TOKEN, file, suffix], dir),
		);
		const out = JSON.parse(res.stdout.trim().split("\n").at(-1));
		assert.equal(out.status, "active");
		assert.equal(out.checksum, md5);
		assert.deepEqual(out.updated, [`sdk-${suffix}-2`, 64]);
		assert.equal(out.download_md5, md5);
		assert.deepEqual(out.listed, [out.id]);
		assert.ok(out.tagged.includes(out.id));
		assert.deepEqual(out.after_delete, []);
	});
});

/** The dev tokens' projects (dev.env): images are shared between them by project id. */
const DEMO_PROJECT = "demo";
const ALT_PROJECT = "alt";

/** Whether `token`'s default v2 list (or with `query`) has the image. */
async function listedTo(id, token, query = "") {
	const res = await fetch(`${BASE}/v2/images?limit=1000${query}`, {
		headers: { "x-auth-token": token },
	});
	assert.equal(res.status, 200, await res.clone().text());
	return (await res.json()).images.some((i) => i.id === id);
}

/** The image's memberships as its owner sees them: `member:status`. */
async function memberships(id) {
	const res = await fetch(`${BASE}/v2/images/${id}/members`, {
		headers: { "x-auth-token": DEMO_TOKEN },
	});
	assert.equal(res.status, 200, await res.clone().text());
	return (await res.json()).members.map((m) => `${m.member_id}:${m.status}`);
}

describe("sharing an image between two projects on Image API v2", () => {
	test("openstack: image add project, member list, set --accept/--reject/--pending, remove project", async (t) => {
		if (!need(t, "openstack", openstackPath)) return;
		const dir = scratch(t);
		const { file, data } = imageFile(dir, 65_536);
		const name = `osc-share-${crypto.randomUUID().slice(0, 8)}`;
		const { id } = JSON.parse(
			(
				await ok(
					openstack(
						[
							"image",
							"create",
							name,
							"--file",
							file,
							"--disk-format",
							"raw",
							"--shared",
							"-f",
							"json",
						],
						dir,
					),
				)
			).stdout,
		);
		assert.equal((await v2Image(id)).visibility, "shared");
		// Not shared yet: the other project cannot see it.
		assert.notEqual((await openstack(["image", "show", id], dir, ALT_TOKEN)).code, 0);

		const added = JSON.parse(
			(await ok(openstack(["image", "add", "project", id, ALT_PROJECT, "-f", "json"], dir))).stdout,
		);
		assert.equal(added.member_id, ALT_PROJECT);
		assert.equal(added.status, "pending");
		const listedMembers = JSON.parse(
			(await ok(openstack(["image", "member", "list", id, "-f", "json"], dir))).stdout,
		);
		assert.deepEqual(
			listedMembers.map((m) => [m["Member ID"], m.Status]),
			[[ALT_PROJECT, "pending"]],
		);
		// Pending: readable by id, listed only when asked for.
		const seen = JSON.parse(
			(await ok(openstack(["image", "show", id, "-f", "json"], dir, ALT_TOKEN))).stdout,
		);
		assert.equal(seen.id, id);
		assert.equal(await listedTo(id, ALT_TOKEN), false);
		const pendingList = JSON.parse(
			(
				await ok(
					openstack(["image", "list", "--member-status", "pending", "-f", "json"], dir, ALT_TOKEN),
				)
			).stdout,
		);
		assert.ok(
			pendingList.some((r) => r.ID === id),
			JSON.stringify(pendingList),
		);

		// With token auth the CLI knows no project of its own: the member names it with --project.
		// OSC 6.0 then also patches the image's owner to that project, which the member may not do
		// (Glance refuses it too): the answer is recorded, and the command reports the refused patch.
		const accept = await openstack(
			["image", "set", "--accept", "--project", ALT_PROJECT, id],
			dir,
			ALT_TOKEN,
		);
		assert.match(accept.output, /not permitted to modify image/, accept.output);
		assert.deepEqual(await memberships(id), [`${ALT_PROJECT}:accepted`]);
		assert.equal((await v2Image(id)).owner, DEMO_PROJECT);
		assert.equal(await listedTo(id, ALT_TOKEN), true);
		const listed = JSON.parse(
			(await ok(openstack(["image", "list", "-f", "json"], dir, ALT_TOKEN))).stdout,
		);
		assert.ok(
			listed.some((r) => r.ID === id),
			JSON.stringify(listed),
		);
		const out = path.join(dir, "as-member.raw");
		await ok(openstack(["image", "save", "--file", out, id], dir, ALT_TOKEN));
		assert.ok(Buffer.from(data).equals(fs.readFileSync(out)), "the member's download differs");

		await openstack(["image", "set", "--reject", "--project", ALT_PROJECT, id], dir, ALT_TOKEN);
		assert.deepEqual(await memberships(id), [`${ALT_PROJECT}:rejected`]);
		assert.equal(await listedTo(id, ALT_TOKEN), false);
		await openstack(["image", "set", "--pending", "--project", ALT_PROJECT, id], dir, ALT_TOKEN);
		assert.deepEqual(await memberships(id), [`${ALT_PROJECT}:pending`]);

		// Only the member answers: the owner's --accept is refused.
		const byOwner = await openstack(
			["image", "set", "--accept", "--project", ALT_PROJECT, id],
			dir,
		);
		assert.notEqual(byOwner.code, 0);
		assert.deepEqual(await memberships(id), [`${ALT_PROJECT}:pending`]);

		await ok(openstack(["image", "remove", "project", id, ALT_PROJECT], dir));
		assert.deepEqual(await memberships(id), []);
		assert.notEqual((await openstack(["image", "show", id], dir, ALT_TOKEN)).code, 0);
		await ok(openstack(["image", "delete", id], dir));
	});

	test("glance: member-create, member-update accepted, member-list, member-delete", async (t) => {
		if (!need(t, "glance", glancePath)) return;
		const dir = scratch(t);
		const name = `gc-share-${crypto.randomUUID().slice(0, 8)}`;
		const created = table(
			(
				await ok(
					glance(
						["image-create", "--name", name, "--disk-format", "raw", "--container-format", "bare"],
						dir,
					),
				)
			).stdout,
		);
		const id = created.id;
		const member = (await ok(glance(["member-create", id, ALT_PROJECT], dir))).stdout;
		assert.match(member, new RegExp(`${ALT_PROJECT}\\s*\\|\\s*pending`));
		// The member answers for itself.
		const refused = await glance(["member-update", id, ALT_PROJECT, "accepted"], dir);
		assert.notEqual(refused.code, 0);
		const accepted = (
			await ok(glance(["member-update", id, ALT_PROJECT, "accepted"], dir, ALT_TOKEN))
		).stdout;
		assert.match(accepted, /accepted/);
		assert.equal(await listedTo(id, ALT_TOKEN), true);
		const listing = (await ok(glance(["member-list", "--image-id", id], dir))).stdout;
		assert.match(listing, new RegExp(`${ALT_PROJECT}\\s*\\|\\s*accepted`));
		const duplicate = await glance(["member-create", id, ALT_PROJECT], dir);
		assert.notEqual(duplicate.code, 0);
		assert.match(duplicate.output, /duplicated/);
		await ok(glance(["member-delete", id, ALT_PROJECT], dir));
		assert.deepEqual(await memberships(id), []);
		await ok(glance(["image-delete", id], dir));
	});

	test("openstacksdk: add_member, update_member as the member, members, remove_member", async (t) => {
		if (!need(t, "openstack (with openstacksdk)", openstackPath)) return;
		const dir = scratch(t);
		const script = path.join(dir, "share.py");
		fs.writeFileSync(
			script,
			`
import json, sys
import openstack
endpoint, owner_token, member_token, project = sys.argv[1:5]
owner = openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": owner_token})
member = openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": member_token})
img = owner.image.create_image(name="sdk-share", disk_format="raw", container_format="bare")
out = {"id": img.id}
out["added"] = owner.image.add_member(img, member_id=project).status
out["listed_before"] = [i.id for i in member.image.images()]
out["updated"] = member.image.update_member(project, img, status="accepted").status
out["listed_after"] = [i.id for i in member.image.images()]
out["members"] = [(m.member_id, m.status) for m in owner.image.members(img)]
out["own"] = member.image.get_member(project, img).status
owner.image.remove_member(project, img)
out["members_after"] = [m.member_id for m in owner.image.members(img)]
owner.image.delete_image(img)
print(json.dumps(out))
`,
		);
		const res = await ok(
			run([...sdkPython(), script, `${BASE}/v2`, DEMO_TOKEN, ALT_TOKEN, ALT_PROJECT], dir),
		);
		const out = JSON.parse(res.stdout.trim().split("\n").at(-1));
		assert.equal(out.added, "pending");
		assert.ok(!out.listed_before.includes(out.id));
		assert.equal(out.updated, "accepted");
		assert.ok(out.listed_after.includes(out.id));
		assert.deepEqual(out.members, [[ALT_PROJECT, "accepted"]]);
		assert.equal(out.own, "accepted");
		assert.deepEqual(out.members_after, []);
	});
});
