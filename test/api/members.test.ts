import { env } from "cloudflare:workers";
import { api, type Caller, errorOf } from "../helpers/http";
import { registerImage } from "../helpers/images";

function putMember(id: string, member: string, body?: unknown, as: Caller = "owner") {
	return api(`/v1/images/${id}/members/${member}`, {
		method: "PUT",
		as,
		headers: body === undefined ? {} : { "content-type": "application/json" },
		body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
	});
}

function replace(id: string, body: unknown, as: Caller = "owner") {
	return api(`/v1/images/${id}/members`, {
		method: "PUT",
		as,
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function members(id: string, as: Caller = "owner") {
	const res = await api(`/v1/images/${id}/members`, { as });
	expect(res.status).toBe(200);
	return ((await res.json()) as { members: { member_id: string; can_share: boolean }[] }).members;
}

describe("image members", () => {
	it("adds members (204) and lists them in insertion order", async () => {
		const { id } = await registerImage();
		expect((await putMember(id, "tenant-z")).status).toBe(204);
		expect((await putMember(id, "tenant-b", { member: { can_share: true } })).status).toBe(204);
		expect(await members(id)).toEqual([
			{ member_id: "tenant-z", can_share: false },
			{ member_id: "tenant-b", can_share: true },
		]);
	});

	it("reads can_share with Python truthiness and keeps it unless given", async () => {
		const { id } = await registerImage();
		await putMember(id, "m1", { member: { can_share: "false" } });
		await putMember(id, "m2", { member: { can_share: 0 } });
		await putMember(id, "m3", { member: { can_share: "" } });
		await putMember(id, "m4", { member: { can_share: 1 } });
		expect((await members(id)).map((m) => m.can_share)).toEqual([true, false, false, true]);
		await putMember(id, "m1");
		await putMember(id, "m4", { other: "shape" });
		expect((await members(id)).map((m) => m.can_share)).toEqual([true, false, false, true]);
		await putMember(id, "m1", { member: { can_share: false } });
		expect((await members(id))[0]).toEqual({ member_id: "m1", can_share: false });
	});

	it("refuses malformed JSON with 400", async () => {
		const { id } = await registerImage();
		const res = await putMember(id, "m1", "{nope");
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe("Malformed JSON in request body.");
	});

	it("refuses a lone surrogate in a member id with 400, leaving the list unchanged", async () => {
		const { id } = await registerImage();
		expect((await putMember(id, "m1")).status).toBe(204);
		const res = await replace(id, { memberships: [{ member_id: "m\ud800" }] });
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.field).toBe("memberships.0.member_id");
		expect(error.message).toContain("lone surrogate");
		expect(await members(id)).toEqual([{ member_id: "m1", can_share: false }]);
	});

	it("removes a member (204), 404 for a non-member, and revives a removed member", async () => {
		const { id } = await registerImage();
		await putMember(id, "gone", { member: { can_share: true } });
		expect((await api(`/v1/images/${id}/members/gone`, { method: "DELETE" })).status).toBe(204);
		const again = await api(`/v1/images/${id}/members/gone`, { method: "DELETE" });
		expect(again.status).toBe(404);
		expect((await errorOf(again)).message).toBe("Membership could not be found.");
		expect(await members(id)).toEqual([]);
		expect((await putMember(id, "gone")).status).toBe(204);
		expect(await members(id)).toEqual([{ member_id: "gone", can_share: false }]);
	});

	it("replaces the whole list: unlisted removed, listed kept, new ones added", async () => {
		const { id } = await registerImage();
		await putMember(id, "keep", { member: { can_share: true } });
		await putMember(id, "drop");
		const res = await replace(id, {
			memberships: [{ member_id: "keep" }, { member_id: "new", can_share: true }],
		});
		expect(res.status).toBe(204);
		expect(await members(id)).toEqual([
			{ member_id: "keep", can_share: true },
			{ member_id: "new", can_share: true },
		]);
		expect((await replace(id, { memberships: [] })).status).toBe(204);
		expect(await members(id)).toEqual([]);
	});

	it.each([
		[{ image_memberships: [] }, "Invalid membership association"],
		[{ memberships: "tenant-z" }, "memberships must be a list"],
		[{ memberships: [{ can_share: true }] }, "member_id"],
		[{ memberships: [{ member_id: "" }] }, "member_id must not be empty"],
	])("refuses the replace body %j with 400", async (body, message) => {
		const { id } = await registerImage();
		const res = await replace(id, body);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toContain(message);
	});

	it("enforces the member quota (10 in tests) with 413, leaving the list unchanged", async () => {
		const { id } = await registerImage();
		const ten = Array.from({ length: 10 }, (_, i) => ({ member_id: `q${i}` }));
		expect((await replace(id, { memberships: ten })).status).toBe(204);
		const eleventh = await putMember(id, "q10");
		expect(eleventh.status).toBe(413);
		expect((await errorOf(eleventh)).message).toContain("Maximum: 10");
		// Updating an existing member is not an addition.
		expect((await putMember(id, "q3", { member: { can_share: true } })).status).toBe(204);
		const tooMany = await replace(id, { memberships: [...ten, { member_id: "q10" }] });
		expect(tooMany.status).toBe(413);
		expect((await members(id)).map((m) => m.member_id)).toEqual(ten.map((m) => m.member_id));
	});

	it("shows members their own row only and others nothing", async () => {
		const { id } = await registerImage();
		await putMember(id, "tenant-b");
		await putMember(id, "tenant-q");
		expect(await members(id, "other")).toEqual([{ member_id: "tenant-b", can_share: false }]);
		expect((await members(id, "admin")).length).toBe(2);
		const { id: publicId } = await registerImage({ is_public: true, owner: "tenant-x" }, "admin");
		await putMember(publicId, "tenant-q", undefined, "admin");
		expect(await members(publicId, "owner")).toEqual([]);
	});

	it("lets a member with can_share share further, and nobody else", async () => {
		const { id } = await registerImage();
		await putMember(id, "tenant-b");
		const denied = await putMember(id, "tenant-c", undefined, "other");
		expect(denied.status).toBe(404);
		await putMember(id, "tenant-b", { member: { can_share: true } });
		expect((await putMember(id, "tenant-c", undefined, "other")).status).toBe(204);
		expect(
			(await api(`/v1/images/${id}/members/tenant-c`, { method: "DELETE", as: "other" })).status,
		).toBe(204);
	});

	it("answers 404 for invisible images and deleted images", async () => {
		const { id } = await registerImage();
		expect((await api(`/v1/images/${id}/members`, { as: "other" })).status).toBe(404);
		expect((await putMember(id, "x", undefined, "other")).status).toBe(404);
		expect((await api(`/v1/images/${id}`, { method: "DELETE" })).status).toBe(200);
		const listed = await api(`/v1/images/${id}/members`, { as: "admin" });
		expect(listed.status).toBe(404);
		expect((await errorOf(listed)).message).toBe(`Image with identifier ${id} has been deleted.`);
		expect((await putMember(id, "x", undefined, "admin")).status).toBe(404);
	});

	it("answers 405: no single-member read, wrong methods with Allow", async () => {
		const { id } = await registerImage();
		const single = await api(`/v1/images/${id}/members/tenant-b`);
		expect(single.status).toBe(405);
		expect(single.headers.get("allow")).toBeNull();
		const list = await api(`/v1/images/${id}/members`, { method: "POST" });
		expect(list.status).toBe(405);
		expect(list.headers.get("allow")).toBe("GET, PUT");
		const one = await api(`/v1/images/${id}/members/tenant-b`, { method: "POST" });
		expect(one.headers.get("allow")).toBe("GET, PUT, DELETE");
	});

	it("shows shared images in the member's image lists", async () => {
		const { id } = await registerImage({ name: "shared-listing" });
		const before = await api("/v1/images/detail?name=shared-listing", { as: "other" });
		expect(((await before.json()) as { images: unknown[] }).images).toHaveLength(0);
		await putMember(id, "tenant-b");
		const after = await api("/v1/images/detail?name=shared-listing", { as: "other" });
		expect(((await after.json()) as { images: { id: string }[] }).images.map((i) => i.id)).toEqual([
			id,
		]);
	});
});

describe("member ids longer than Glance's 255-character column", () => {
	const long = "m".repeat(256);

	it.each([
		["PUT", (id: string) => `/v1/images/${id}/members/${long}`],
		["DELETE", (id: string) => `/v1/images/${id}/members/${long}`],
		["GET", () => `/v1/shared-images/${long}`],
	] as const)("%s with a 256-character member: 400 naming member", async (method, path) => {
		const { id } = await registerImage();
		const res = await api(path(id), { method });
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.field).toBe("member");
		expect(error.message).toBe("member must be at most 255 characters");
		expect(await members(id)).toEqual([]);
	});

	it("accepts 255 characters on every route, as the replace form does", async () => {
		const { id } = await registerImage();
		const edge = "m".repeat(255);
		expect((await putMember(id, edge)).status).toBe(204);
		expect((await replace(id, { memberships: [{ member_id: edge }] })).status).toBe(204);
		expect((await api(`/v1/shared-images/${edge}`)).status).toBe(200);
		expect((await api(`/v1/images/${id}/members/${edge}`, { method: "DELETE" })).status).toBe(204);
		const res = await replace(id, { memberships: [{ member_id: long }] });
		expect(res.status).toBe(400);
		expect((await errorOf(res)).field).toBe("memberships.0.member_id");
	});
});

describe("GET /v1/shared-images/{member}", () => {
	it("lists the images shared with a tenant, as that tenant, the owner and an admin see them", async () => {
		const { id: mine } = await registerImage();
		const { id: theirs } = await registerImage({ owner: "tenant-y" }, "admin");
		await putMember(mine, "tenant-s", { member: { can_share: true } });
		await putMember(theirs, "tenant-s", undefined, "admin");

		const asOwner = await api("/v1/shared-images/tenant-s");
		expect(((await asOwner.json()) as { shared_images: unknown[] }).shared_images).toEqual([
			{ image_id: mine, can_share: true },
		]);
		const asAdmin = await api("/v1/shared-images/tenant-s", { as: "admin" });
		expect(((await asAdmin.json()) as { shared_images: unknown[] }).shared_images).toEqual([
			{ image_id: mine, can_share: true },
			{ image_id: theirs, can_share: false },
		]);
		const asStranger = await api("/v1/shared-images/tenant-s", { as: "other" });
		expect(((await asStranger.json()) as { shared_images: unknown[] }).shared_images).toEqual([]);
		const unknown = await api("/v1/shared-images/nobody", { method: "POST" });
		expect(unknown.status).toBe(200);
		expect(await unknown.json()).toEqual({ shared_images: [] });
	});

	it("lists the caller's own memberships", async () => {
		const { id } = await registerImage();
		await putMember(id, "tenant-b");
		const res = await api("/v1/shared-images/tenant-b", { as: "other" });
		expect(
			((await res.json()) as { shared_images: { image_id: string }[] }).shared_images.map(
				(s) => s.image_id,
			),
		).toContain(id);
		const row = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM image_members WHERE member = 'tenant-b'",
		).first<{ n: number }>();
		expect(row?.n).toBeGreaterThan(0);
	});
});
