import { env } from "cloudflare:workers";
import { randomBytes } from "../helpers/bytes";
import { metaHeaders, REGISTRATION } from "../helpers/fixtures";
import { api, type Caller, errorOf, jsonInit, postJson } from "../helpers/http";
import { objectExists, registerActive, registerImage, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";

function del(id: string, as: Caller = "owner") {
	return api(`/v1/images/${id}`, { method: "DELETE", as });
}

function head(id: string, as: Caller = "owner") {
	return api(`/v1/images/${id}`, { method: "HEAD", as });
}

async function addMember(id: string, member: string) {
	await env.DB.prepare(
		`INSERT INTO image_members (image_id, member, can_share, status, created_at, updated_at, deleted)
		 VALUES (?1, ?2, 0, 'accepted', '2024-01-01T00:00:00.000000', '2024-01-01T00:00:00.000000', 0)`,
	)
		.bind(id, member)
		.run();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (bounded) until the image's row has `status`; returns whether it got there. */
async function waitForStatus(id: string, status: string): Promise<boolean> {
	for (let i = 0; i < 200; i++) {
		if ((await storedRow(id))?.status === status) return true;
		await sleep(5);
	}
	return false;
}

/**
 * A chunked body that sends `before` bytes of `data`, then holds until `gate` resolves, then
 * sends the rest: lets a test act while an upload is in flight.
 */
function gatedStream(data: Uint8Array, before: number, gate: Promise<void>) {
	let offset = 0;
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			if (offset >= data.byteLength) return controller.close();
			if (offset >= before) await gate;
			const n = Math.min(8192, data.byteLength - offset);
			controller.enqueue(data.slice(offset, offset + n));
			offset += n;
		},
	});
}

describe("DELETE /v1/images/{id}", () => {
	it("answers 200 with an empty body and leaves a tombstone", async () => {
		const image = await registerActive(randomBytes(4096, 41));
		expect(await objectExists(image.id)).toBe(true);

		const res = await del(image.id);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type") ?? "").not.toMatch(/json/);
		expect(await res.text()).toBe("");

		expect(await storedRow(image.id)).toMatchObject({ status: "deleted", deleted: 1 });
		expect((await storedRow(image.id))?.deleted_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
		expect(await objectExists(image.id)).toBe(false);

		expect((await api(`/v1/images/${image.id}`)).status).toBe(404);
		expect((await api(`/v1/images/${image.id}`, { as: "admin" })).status).toBe(404);
		expect((await head(image.id)).status).toBe(404);
		const adminHead = await head(image.id, "admin");
		expect(adminHead.status).toBe(200);
		expect(adminHead.headers.get("x-image-meta-status")).toBe("deleted");
		expect(adminHead.headers.get("x-image-meta-deleted")).toBe("True");
		expect(adminHead.headers.get("x-image-meta-deleted_at")).toMatch(/^\d{4}-/);
	});

	it("burns the id: POST with it → 409, DELETE again → 404, PUT → 403 (admin) / 404", async () => {
		const image = await registerImage();
		expect((await del(image.id)).status).toBe(200);

		const reuse = await postJson("/v1/images", { ...REGISTRATION, id: image.id });
		expect(reuse.status).toBe(409);
		expect((await errorOf(reuse)).message).toBe(
			`An image with identifier ${image.id} already exists`,
		);
		expect((await del(image.id)).status).toBe(404);
		const adminAgain = await del(image.id, "admin");
		expect(adminAgain.status).toBe(404);
		expect((await errorOf(adminAgain)).message).toBe(`Image ${image.id} not found.`);

		const adminPut = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			as: "admin",
			headers: { "x-image-meta-name": "revived" },
		});
		expect(adminPut.status).toBe(403);
		expect((await errorOf(adminPut)).message).toBe("Forbidden to update deleted image.");
		const ownerPut = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-name": "revived" },
		});
		expect(ownerPut.status).toBe(404);
		expect(await storedRow(image.id)).toMatchObject({ status: "deleted", deleted: 1 });
	});

	it("refuses a protected image until protected is cleared", async () => {
		const image = await registerImage({ protected: true });
		for (const as of ["owner", "admin"] as const) {
			const res = await del(image.id, as);
			expect(res.status).toBe(403);
			expect((await errorOf(res)).message).toBe("Image is protected");
		}
		expect((await storedRow(image.id))?.status).toBe("queued");
		const cleared = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-protected": "False", "x-glance-registry-purge-props": "false" },
		});
		expect(cleared.status).toBe(200);
		expect((await del(image.id)).status).toBe(200);
		expect((await storedRow(image.id))?.status).toBe("deleted");
	});

	it("refuses a pending_delete image", async () => {
		const image = await registerImage();
		await env.DB.prepare("UPDATE images SET status = 'pending_delete' WHERE id = ?1")
			.bind(image.id)
			.run();
		const res = await del(image.id);
		expect(res.status).toBe(403);
		expect((await errorOf(res)).message).toBe("Forbidden to delete a pending_delete image.");
	});

	it("lets exactly one of two concurrent deletes succeed", async () => {
		const image = await registerActive(randomBytes(2048, 45));
		const results = await Promise.all([del(image.id), del(image.id, "admin")]);
		expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
		expect(await objectExists(image.id)).toBe(false);
	});

	it("soft-deletes the properties: an admin sees none on the tombstone (contract §5.6)", async () => {
		const image = await registerImage({ properties: { os_distro: "cirros" } });
		expect((await head(image.id)).headers.get("x-image-meta-property-os_distro")).toBe("cirros");
		expect((await del(image.id)).status).toBe(200);
		const res = await head(image.id, "admin");
		expect(res.headers.get("x-image-meta-status")).toBe("deleted");
		expect(res.headers.has("x-image-meta-property-os_distro")).toBe(false);
	});

	it("deletes queued and killed images", async () => {
		const queued = await registerImage();
		expect((await del(queued.id)).status).toBe(200);

		const id = crypto.randomUUID();
		const killed = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({
				"content-type": "application/octet-stream",
				"x-image-meta-id": id,
				"x-image-meta-checksum": "0123456789abcdef0123456789abcdef",
			}),
			body: randomBytes(100, 42),
		});
		expect(killed.status).toBe(400);
		expect((await storedRow(id))?.status).toBe("killed");
		expect((await del(id)).status).toBe(200);
		expect(await storedRow(id)).toMatchObject({ status: "deleted", deleted: 1 });
	});
});

describe("DELETE /v1/images/{id} by other callers", () => {
	it("answers 404 to another tenant for a private image", async () => {
		const image = await registerImage();
		const res = await del(image.id, "other");
		expect(res.status).toBe(404);
		expect((await errorOf(res)).message).toBe(`Image with identifier ${image.id} not found`);
		expect((await storedRow(image.id))?.status).toBe("queued");
	});

	it("answers 403 to another tenant for a public image", async () => {
		const image = await registerImage({ is_public: true, owner: "tenant-a" }, "admin");
		const res = await del(image.id, "other");
		expect(res.status).toBe(403);
		expect((await errorOf(res)).message).toContain("Forbidden to delete image");
		expect((await storedRow(image.id))?.status).toBe("queued");
	});

	it("answers 404 to a member of a shared private image", async () => {
		const image = await registerImage();
		await addMember(image.id, "tenant-b");
		expect((await head(image.id, "other")).status).toBe(200);
		expect((await del(image.id, "other")).status).toBe(404);
		expect((await storedRow(image.id))?.status).toBe("queued");
	});

	it("lets an admin delete anyone's image", async () => {
		const data = randomBytes(1000, 43);
		const image = await registerActive(data);
		expect((await del(image.id, "admin")).status).toBe(200);
		expect(await storedRow(image.id)).toMatchObject({ status: "deleted", deleted: 1 });
		expect(await objectExists(image.id)).toBe(false);
	});

	it("soft-deletes the image's memberships", async () => {
		const image = await registerImage();
		await addMember(image.id, "tenant-b");
		await addMember(image.id, "tenant-c");
		expect((await del(image.id)).status).toBe(200);
		const { results } = await env.DB.prepare(
			"SELECT member, deleted, deleted_at FROM image_members WHERE image_id = ?1 ORDER BY member",
		)
			.bind(image.id)
			.all<{ member: string; deleted: number; deleted_at: string | null }>();
		expect(results.map((m) => [m.member, m.deleted])).toEqual([
			["tenant-b", 1],
			["tenant-c", 1],
		]);
		for (const m of results) expect(m.deleted_at).not.toBeNull();
		expect((await head(image.id, "other")).status).toBe(404);
	});
});

describe("DELETE while an upload is streaming", () => {
	async function deleteMidUpload(
		start: (id: string, body: ReadableStream<Uint8Array>) => Promise<Response>,
		id: string,
	) {
		const data = randomBytes(200_000, 44);
		let release = () => {};
		const gate = new Promise<void>((resolve) => {
			release = resolve;
		});
		const uploading = start(id, gatedStream(data, 64 * 1024, gate));
		const saving = await waitForStatus(id, "saving");
		await sleep(20);
		const deleted = saving ? await del(id) : null;
		release();
		const upload = await uploading;
		expect(saving).toBe(true);
		expect(deleted?.status).toBe(200);
		expect([412, 410, 409]).toContain(upload.status);
		expect((await errorOf(upload)).message).toBeTruthy();
		expect(await objectExists(id)).toBe(false);
		expect(await storedRow(id)).toMatchObject({ status: "deleted", deleted: 1 });
		const adminHead = await head(id, "admin");
		expect(adminHead.headers.get("x-image-meta-status")).toBe("deleted");
		return upload;
	}

	it("makes a PUT upload of unknown length answer 412 and removes its bytes", async () => {
		const image = await registerImage({ disk_format: "raw" });
		const upload = await deleteMidUpload(
			(id, body) =>
				api(`/v1/images/${id}`, {
					method: "PUT",
					headers: { "content-type": "application/octet-stream" },
					body,
					// @ts-expect-error: streaming request bodies need duplex in workerd's types
					duplex: "half",
				}),
			image.id,
		);
		expect(upload.status).toBe(412);
	});

	it("makes a POST upload of declared size answer 412 and removes its bytes", async () => {
		const id = crypto.randomUUID();
		const upload = await deleteMidUpload(
			(_, body) =>
				api("/v1/images", {
					method: "POST",
					headers: metaHeaders({
						"content-type": "application/octet-stream",
						"x-image-meta-id": id,
						"x-image-meta-size": "200000",
					}),
					body,
					// @ts-expect-error: streaming request bodies need duplex in workerd's types
					duplex: "half",
				}),
			id,
		);
		expect(upload.status).toBe(412);
	});

	it("makes a v2 PUT of the file answer 410 (Glance v2's Gone) and removes its bytes", async () => {
		const created = await api(
			"/v2/images",
			jsonInit({ disk_format: "raw", container_format: "bare" }),
		);
		const { id } = (await created.json()) as { id: string };
		const upload = await deleteMidUpload(
			(_, body) =>
				api(`/v2/images/${id}/file`, {
					method: "PUT",
					headers: { "content-type": "application/octet-stream" },
					body,
					// @ts-expect-error: streaming request bodies need duplex in workerd's types
					duplex: "half",
				}),
			id,
		);
		expect(upload.status).toBe(410);
	});
});

// Whatever raced or failed above, nothing may be half-done afterwards.
afterEach(() => expectInvariants());
