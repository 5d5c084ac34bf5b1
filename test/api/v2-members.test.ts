import { env } from "cloudflare:workers";
import { api, type Caller, jsonInit } from "../helpers/http";
import { registerImage } from "../helpers/images";

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
