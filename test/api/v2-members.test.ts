import { env } from "cloudflare:workers";
import { schemaProblem } from "../../src/http/v2/validate";
import { api, type Caller, errorOf, jsonInit } from "../helpers/http";
import { registerImage } from "../helpers/images";
import {
	addMemberV2,
	createV2,
	listV2,
	patchV2,
	setMemberStatusV2,
	shareV2,
	showV2,
	type V2Member,
} from "../helpers/v2";

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Checks a body against a served schema's properties; an extra key is a problem too. */
async function schemaProblems(body: Record<string, unknown>, name: "member" | "members") {
	const schema = (await (await api(`/v2/schemas/${name}`)).json()) as {
		properties: Record<string, Record<string, unknown>>;
	};
	const problems = Object.entries(body).map(([key, value]) =>
		key in schema.properties
			? schemaProblem(value, schema.properties[key], `/${key}`)
			: `unexpected key ${key}`,
	);
	return problems.filter((p) => p !== null);
}

async function memberSchemaProblems(member: unknown) {
	return schemaProblems(member as Record<string, unknown>, "member");
}

const tagged = () => `share-${crypto.randomUUID()}`;

/** The names of the images `as` gets from GET /v2/images?tag=<tag><query>. */
async function listedNames(tag: string, query: string, as: Caller) {
	return (await listV2(`?tag=${tag}${query}`, as)).images.map((i) => i.name).sort();
}

/** The stored status of a membership, live or removed. */
async function storedStatus(imageId: string, member: string) {
	return env.DB.prepare(
		"SELECT status, deleted, created_at FROM image_members WHERE image_id = ?1 AND member = ?2",
	)
		.bind(imageId, member)
		.first<{ status: string; deleted: number; created_at: string }>();
}

async function acceptInD1(imageId: string, member: string) {
	await env.DB.prepare(
		"UPDATE image_members SET status = 'accepted' WHERE image_id = ?1 AND member = ?2",
	)
		.bind(imageId, member)
		.run();
}

function v1Add(id: string, member: string, as: Caller = "owner") {
	return api(`/v1/images/${id}/members/${member}`, { method: "PUT", as });
}

describe("v1 member writes and the v2 member status", () => {
	it("keeps a live member's status when v1 updates it, and resets a re-added one to pending", async () => {
		const { id } = await registerImage();
		expect((await v1Add(id, "tenant-b")).status).toBe(204);
		expect((await storedStatus(id, "tenant-b"))?.status).toBe("pending");
		await acceptInD1(id, "tenant-b");
		// A v1 update of can_share is not a new membership.
		const update = await api(
			`/v1/images/${id}/members/tenant-b`,
			jsonInit({ member: { can_share: true } }, { method: "PUT" }),
		);
		expect(update.status).toBe(204);
		expect((await storedStatus(id, "tenant-b"))?.status).toBe("accepted");
		// Removed and added again: a new membership, which the member has not accepted.
		expect((await api(`/v1/images/${id}/members/tenant-b`, { method: "DELETE" })).status).toBe(204);
		expect((await v1Add(id, "tenant-b")).status).toBe(204);
		expect(await storedStatus(id, "tenant-b")).toMatchObject({ status: "pending", deleted: 0 });
	});

	it("resets a member re-added by a v1 replace to pending, and keeps the others' status", async () => {
		const { id } = await registerImage();
		const replace = (ids: string[]) =>
			api(
				`/v1/images/${id}/members`,
				jsonInit({ memberships: ids.map((member_id) => ({ member_id })) }, { method: "PUT" }),
			);
		expect((await replace(["tenant-b", "tenant-c"])).status).toBe(204);
		await acceptInD1(id, "tenant-b");
		await acceptInD1(id, "tenant-c");
		expect((await replace(["tenant-b"])).status).toBe(204);
		expect((await replace(["tenant-b", "tenant-c"])).status).toBe(204);
		expect((await storedStatus(id, "tenant-b"))?.status).toBe("accepted");
		expect((await storedStatus(id, "tenant-c"))?.status).toBe("pending");
	});
});

describe("sharing an image through v2", () => {
	it("shares with a project, which accepts, rejects and resets; the lists follow the status", async () => {
		const tag = tagged();
		const image = await createV2({ name: "to-share", tags: [tag] });
		expect(image.visibility).toBe("shared");
		expect(await listedNames(tag, "", "other")).toEqual([]);

		const added = await addMemberV2(image.id, "tenant-b");
		expect(added.status).toBe(200);
		expect(added.headers.get("content-type")).toBe("application/json");
		const member = (await added.json()) as V2Member;
		expect(Object.keys(member).sort()).toEqual(
			["created_at", "image_id", "member_id", "schema", "status", "updated_at"].sort(),
		);
		expect(member).toMatchObject({
			member_id: "tenant-b",
			image_id: image.id,
			status: "pending",
			schema: "/v2/schemas/member",
		});
		expect(member.created_at).toMatch(TIMESTAMP);
		expect(await memberSchemaProblems(member)).toEqual([]);

		// Pending: seen by id, listed only when asked for.
		expect((await showV2(image.id, "other")).id).toBe(image.id);
		expect(await listedNames(tag, "", "other")).toEqual([]);
		expect(await listedNames(tag, "&member_status=pending", "other")).toEqual(["to-share"]);

		const accepted = await setMemberStatusV2(image.id, "tenant-b", "accepted", "other");
		expect(accepted.status).toBe(200);
		expect(accepted.headers.get("content-type")).toBe("application/json");
		const body = (await accepted.json()) as V2Member;
		expect(body.status).toBe("accepted");
		expect(await memberSchemaProblems(body)).toEqual([]);
		expect(await listedNames(tag, "", "other")).toEqual(["to-share"]);
		expect(await listedNames(tag, "&member_status=pending", "other")).toEqual([]);

		expect((await setMemberStatusV2(image.id, "tenant-b", "rejected", "other")).status).toBe(200);
		expect(await listedNames(tag, "", "other")).toEqual([]);
		expect(await listedNames(tag, "&member_status=rejected", "other")).toEqual(["to-share"]);
		expect(await listedNames(tag, "&member_status=all", "other")).toEqual(["to-share"]);
		// Rejected still reads by id: the status decides listing only.
		expect((await showV2(image.id, "other")).id).toBe(image.id);
		expect((await setMemberStatusV2(image.id, "tenant-b", "pending", "other")).status).toBe(200);
		expect(await listedNames(tag, "&member_status=pending", "other")).toEqual(["to-share"]);
	});

	it("lists and shows memberships: all for the owner and admins, its own for a member", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		await shareV2(image.id, "tenant-c", { status: "accepted", as: "sharer" });
		const ids = async (as: Caller) => {
			const res = await api(`/v2/images/${image.id}/members`, { as });
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toBe("application/json");
			const body = (await res.json()) as { members: V2Member[]; schema: string };
			expect(body.schema).toBe("/v2/schemas/members");
			expect(await schemaProblems(body as unknown as Record<string, unknown>, "members")).toEqual(
				[],
			);
			return body.members.map((m) => `${m.member_id}:${m.status}`);
		};
		expect(await ids("owner")).toEqual(["tenant-b:pending", "tenant-c:accepted"]);
		expect(await ids("admin")).toEqual(["tenant-b:pending", "tenant-c:accepted"]);
		expect(await ids("other")).toEqual(["tenant-b:pending"]);
		expect(await ids("sharer")).toEqual(["tenant-c:accepted"]);

		const one = await api(`/v2/images/${image.id}/members/tenant-c`, { as: "sharer" });
		expect(one.status).toBe(200);
		expect(await memberSchemaProblems(await one.json())).toEqual([]);
		expect((await api(`/v2/images/${image.id}/members/tenant-c`)).status).toBe(200);
		// Another member's row is invisible to a member, and so is a stranger's image.
		const theirs = await api(`/v2/images/${image.id}/members/tenant-b`, { as: "sharer" });
		expect(theirs.status).toBe(404);
		expect((await api(`/v2/images/${image.id}/members/nobody`)).status).toBe(404);
		expect((await api(`/v2/images/${image.id}/members`, { as: "member" })).status).toBe(404);
	});

	it("lets only the owner (or an admin) add and remove, only the member (or an admin) answer", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		const byMember = await addMemberV2(image.id, "tenant-x", "other");
		expect(byMember.status).toBe(403);
		expect((await errorOf(byMember)).message).toBe(
			`Not allowed to create members for image ${image.id}.`,
		);
		const ownerAnswers = await setMemberStatusV2(image.id, "tenant-b", "accepted", "owner");
		expect(ownerAnswers.status).toBe(403);
		expect((await errorOf(ownerAnswers)).message).toBe(
			`Not allowed to update members for image ${image.id}.`,
		);
		const memberRemoves = await api(`/v2/images/${image.id}/members/tenant-b`, {
			method: "DELETE",
			as: "other",
		});
		expect(memberRemoves.status).toBe(403);
		expect((await errorOf(memberRemoves)).message).toBe(
			`Not allowed to delete members for image ${image.id}.`,
		);
		// A stranger cannot see the image at all.
		expect((await addMemberV2(image.id, "tenant-x", "member")).status).toBe(404);
		expect((await setMemberStatusV2(image.id, "tenant-b", "accepted", "member")).status).toBe(404);
		expect((await storedStatus(image.id, "tenant-b"))?.status).toBe("pending");

		expect((await setMemberStatusV2(image.id, "tenant-b", "accepted", "admin")).status).toBe(200);
		expect((await addMemberV2(image.id, "tenant-y", "admin")).status).toBe(200);
		const removed = await api(`/v2/images/${image.id}/members/tenant-y`, {
			method: "DELETE",
			as: "admin",
		});
		expect(removed.status).toBe(204);
	});

	it("answers DELETE with 204, no body and no JSON content type; an unknown member is 404", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		const res = await api(`/v2/images/${image.id}/members/tenant-b`, { method: "DELETE" });
		expect(res.status).toBe(204);
		expect(res.headers.get("content-type")).not.toContain("json");
		expect(await res.text()).toBe("");
		const again = await api(`/v2/images/${image.id}/members/tenant-b`, { method: "DELETE" });
		expect(again.status).toBe(404);
		expect((await errorOf(again)).message).toBe(
			`tenant-b not found in the member list of the image ${image.id}.`,
		);
		// The former member no longer sees the image.
		expect((await api(`/v2/images/${image.id}`, { as: "other" })).status).toBe(404);
	});

	it("refuses a duplicate with 409; re-adding a removed member starts a new pending membership", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b", { status: "accepted", as: "other" });
		const dup = await addMemberV2(image.id, "tenant-b");
		expect(dup.status).toBe(409);
		expect((await errorOf(dup)).message).toBe(
			`Member tenant-b is duplicated for image ${image.id}`,
		);
		const before = await storedStatus(image.id, "tenant-b");
		expect(before?.status).toBe("accepted");
		await api(`/v2/images/${image.id}/members/tenant-b`, { method: "DELETE" });
		await new Promise((r) => setTimeout(r, 5));
		const again = await addMemberV2(image.id, "tenant-b");
		expect(again.status).toBe(200);
		expect(((await again.json()) as V2Member).status).toBe("pending");
		const after = await storedStatus(image.id, "tenant-b");
		expect(after).toMatchObject({ status: "pending", deleted: 0 });
		expect(after?.created_at).not.toBe(before?.created_at);
	});

	it("enforces the member quota (10 in tests) with 413, counting live members only", async () => {
		const image = await createV2();
		for (let i = 0; i < 10; i++) expect((await addMemberV2(image.id, `q${i}`)).status).toBe(200);
		const over = await addMemberV2(image.id, "q10");
		expect(over.status).toBe(413);
		expect((await errorOf(over)).message).toContain("Attempted: 11, Maximum: 10");
		expect(await storedStatus(image.id, "q10")).toBeNull();
		await api(`/v2/images/${image.id}/members/q0`, { method: "DELETE" });
		expect((await addMemberV2(image.id, "q10")).status).toBe(200);
	});

	it.each([
		["private", "owner"],
		["public", "admin"],
		["community", "owner"],
	] as const)("has no members on a %s image: 403, a single read 404", async (visibility, as) => {
		const image = await createV2(
			{ visibility, ...(as === "admin" ? { owner: "tenant-a" } : {}) },
			as,
		);
		const list = await api(`/v2/images/${image.id}/members`);
		expect(list.status).toBe(403);
		expect((await errorOf(list)).message).toContain("Only shared images have members");
		expect((await addMemberV2(image.id, "tenant-b")).status).toBe(403);
		expect((await addMemberV2(image.id, "tenant-b", "admin")).status).toBe(403);
		expect((await setMemberStatusV2(image.id, "tenant-a", "accepted", "owner")).status).toBe(403);
		expect(
			(await api(`/v2/images/${image.id}/members/tenant-b`, { method: "DELETE" })).status,
		).toBe(403);
		expect((await api(`/v2/images/${image.id}/members/tenant-b`)).status).toBe(404);
	});

	it("answers a deleted or unknown image with 404", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		expect((await api(`/v2/images/${image.id}`, { method: "DELETE" })).status).toBe(204);
		for (const as of ["owner", "admin", "other"] as const) {
			expect((await api(`/v2/images/${image.id}/members`, { as })).status).toBe(404);
			expect((await addMemberV2(image.id, "tenant-c", as)).status).toBe(404);
		}
		expect((await api(`/v2/images/${crypto.randomUUID()}/members`)).status).toBe(404);
		expect((await api("/v2/images/not-a-uuid/members/tenant-b")).status).toBe(404);
	});
});

describe("v2 member requests that are wrong", () => {
	const send = (id: string, body: string | undefined, method = "POST", path = "") =>
		api(`/v2/images/${id}/members${path}`, {
			method,
			headers: body === undefined ? {} : { "content-type": "application/json" },
			body,
		});

	it.each([
		[undefined, "Body expected in request.", undefined],
		["{nope", "Malformed JSON in request body.", undefined],
		["7", "Unexpected body type. Expected list/dict.", undefined],
		["{}", "Member to be added not specified", "member"],
		["[]", "Member to be added not specified", "member"],
		['{"member": ""}', "Member can't be empty", "member"],
		['{"member": 42}', "member must be a string", "member"],
		[
			JSON.stringify({ member: "m".repeat(256) }),
			"member must be at most 255 characters",
			"member",
		],
		['{"member": "m\\ud800"}', "lone surrogate", "member"],
	])("POST %s → 400", async (body, message, field) => {
		const image = await createV2();
		const res = await send(image.id, body);
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toContain(message);
		expect(error.field).toBe(field);
		expect(await storedStatus(image.id, "m".repeat(256))).toBeNull();
	});

	it.each([
		[undefined, "Body expected in request.", undefined],
		["{}", "Status not specified", "status"],
		['{"status": "maybe"}', 'Status must be "pending", "accepted" or "rejected".', "status"],
		['{"status": 1}', 'Status must be "pending", "accepted" or "rejected".', "status"],
		['{"status": "Accepted"}', 'Status must be "pending", "accepted" or "rejected".', "status"],
	])("PUT %s → 400, the status unchanged", async (body, message, field) => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		const res = await api(`/v2/images/${image.id}/members/tenant-b`, {
			method: "PUT",
			as: "other",
			headers: body === undefined ? {} : { "content-type": "application/json" },
			body,
		});
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toContain(message);
		expect(error.field).toBe(field);
		expect((await storedStatus(image.id, "tenant-b"))?.status).toBe("pending");
	});

	it("refuses a body on DELETE, and a member id over 255 characters in the path", async () => {
		const image = await createV2();
		await shareV2(image.id, "tenant-b");
		const withBody = await send(image.id, "{}", "DELETE", "/tenant-b");
		expect(withBody.status).toBe(400);
		expect((await errorOf(withBody)).message).toBe("A body is not expected with this request.");
		expect((await storedStatus(image.id, "tenant-b"))?.deleted).toBe(0);
		const long = await api(`/v2/images/${image.id}/members/${"m".repeat(256)}`);
		expect(long.status).toBe(400);
		expect((await errorOf(long)).field).toBe("member");
	});

	it("answers other methods with 405 and Allow", async () => {
		const image = await createV2();
		const list = await api(`/v2/images/${image.id}/members`, { method: "PUT" });
		expect(list.status).toBe(405);
		expect(list.headers.get("allow")).toBe("GET, POST");
		const one = await api(`/v2/images/${image.id}/members/tenant-b`, { method: "POST" });
		expect(one.status).toBe(405);
		expect(one.headers.get("allow")).toBe("GET, PUT, DELETE");
	});
});

describe("visibility and the members of an image", () => {
	it("lets only admins publicize; owners may make images community, shared or private", async () => {
		const refused = await api("/v2/images", jsonInit({ visibility: "public" }));
		expect(refused.status).toBe(403);
		expect((await errorOf(refused)).message).toBe(
			"You are not authorized to complete publicize_image action.",
		);
		const community = await createV2({ visibility: "community" });
		expect(community.visibility).toBe("community");
		for (const visibility of ["private", "shared", "community"]) {
			const res = await patchV2(community.id, [
				{ op: "replace", path: "/visibility", value: visibility },
			]);
			expect(res.status).toBe(200);
		}
		const publicize = await patchV2(community.id, [
			{ op: "replace", path: "/visibility", value: "public" },
		]);
		expect(publicize.status).toBe(403);
		expect((await showV2(community.id)).visibility).toBe("community");
		const byAdmin = await patchV2(
			community.id,
			[{ op: "replace", path: "/visibility", value: "public" }],
			{ as: "admin" },
		);
		expect(byAdmin.status).toBe(200);
	});

	it("shows community images to everyone and lists them to others only when asked", async () => {
		const tag = tagged();
		const image = await createV2({ name: "community", visibility: "community", tags: [tag] });
		expect((await showV2(image.id, "other")).id).toBe(image.id);
		expect(await listedNames(tag, "", "other")).toEqual([]);
		expect(await listedNames(tag, "", "owner")).toEqual(["community"]);
		expect(await listedNames(tag, "&visibility=community", "other")).toEqual(["community"]);
		expect(await listedNames(tag, "&visibility=all", "other")).toEqual(["community"]);
		expect(await listedNames(tag, "", "admin")).toEqual([]);
		expect(await listedNames(tag, "&visibility=all", "admin")).toEqual(["community"]);
		// Others may see it, not change it.
		const patch = await patchV2(image.id, [{ op: "replace", path: "/name", value: "x" }], {
			as: "other",
		});
		expect(patch.status).toBe(403);
	});

	it("keeps memberships across visibility changes, inert until the image is shared again", async () => {
		const tag = tagged();
		const image = await createV2({ name: "shared-then-not", tags: [tag] });
		await shareV2(image.id, "tenant-b", { status: "accepted", as: "other" });
		await shareV2(image.id, "tenant-c");
		expect(await listedNames(tag, "", "other")).toEqual(["shared-then-not"]);

		for (const visibility of ["private", "community"] as const) {
			const res = await patchV2(image.id, [
				{ op: "replace", path: "/visibility", value: visibility },
			]);
			expect(res.status).toBe(200);
			expect((await api(`/v2/images/${image.id}/members`)).status).toBe(403);
			expect((await setMemberStatusV2(image.id, "tenant-c", "accepted", "sharer")).status).toBe(
				visibility === "private" ? 404 : 403,
			);
		}
		// Private: the members see nothing.
		await patchV2(image.id, [{ op: "replace", path: "/visibility", value: "private" }]);
		expect((await api(`/v2/images/${image.id}`, { as: "other" })).status).toBe(404);
		expect(await listedNames(tag, "&member_status=all&visibility=all", "other")).toEqual([]);
		expect((await storedStatus(image.id, "tenant-b"))?.status).toBe("accepted");

		// Shared again: each membership as it was.
		await patchV2(image.id, [{ op: "replace", path: "/visibility", value: "shared" }]);
		const res = await api(`/v2/images/${image.id}/members`);
		const { members } = (await res.json()) as { members: V2Member[] };
		expect(members.map((m) => `${m.member_id}:${m.status}`)).toEqual([
			"tenant-b:accepted",
			"tenant-c:pending",
		]);
		expect(await listedNames(tag, "", "other")).toEqual(["shared-then-not"]);
		expect((await showV2(image.id, "sharer")).id).toBe(image.id);
	});

	it("shows v2 members in the v1 view without a status, and v1 members in the v2 view", async () => {
		const image = await createV2({ name: tagged() });
		await shareV2(image.id, "tenant-b", { status: "accepted", as: "other" });
		expect((await api(`/v1/images/${image.id}/members/tenant-c`, { method: "PUT" })).status).toBe(
			204,
		);
		const v1 = await api(`/v1/images/${image.id}/members`);
		expect(await v1.json()).toEqual({
			members: [
				{ member_id: "tenant-b", can_share: false },
				{ member_id: "tenant-c", can_share: false },
			],
		});
		const v2 = (await (await api(`/v2/images/${image.id}/members`)).json()) as {
			members: V2Member[];
		};
		expect(v2.members.map((m) => `${m.member_id}:${m.status}`)).toEqual([
			"tenant-b:accepted",
			"tenant-c:pending",
		]);
		// v1 lists every member's shares, whatever the status (v1 has none).
		const v1List = await api(`/v1/images/detail?name=${encodeURIComponent(image.name ?? "")}`, {
			as: "sharer",
		});
		expect(
			((await v1List.json()) as { images: { id: string }[] }).images.map((i) => i.id),
		).toContain(image.id);
	});

	it("gives a v1 member of a private image nothing in v2, and v2 refuses to manage it", async () => {
		const image = await createV2({ visibility: "private" });
		expect((await api(`/v1/images/${image.id}/members/tenant-b`, { method: "PUT" })).status).toBe(
			204,
		);
		expect((await api(`/v2/images/${image.id}`, { as: "other" })).status).toBe(404);
		expect((await api(`/v2/images/${image.id}/members`)).status).toBe(403);
		expect((await addMemberV2(image.id, "tenant-c")).status).toBe(403);
	});
});

describe("project lookups the openstack CLI sends to the image endpoint", () => {
	// With token auth (`--os-auth-type admin_token`) the CLI has no Keystone and asks the image
	// endpoint for projects; on 403 it uses the name it was given as the project id.
	it.each(["/v2/projects/tenant-b", "/v2/projects?name=tenant-b", "/v2/projects"])(
		"answers GET %s with 403, so the CLI takes the project as an id",
		async (path) => {
			const res = await api(path, { as: "other" });
			expect(res.status).toBe(403);
			expect((await errorOf(res)).message).toContain("not an identity service");
			expect((await api(path, { as: "anonymous" })).status).toBe(401);
		},
	);
});
