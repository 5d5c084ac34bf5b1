import { env } from "cloudflare:workers";
import { appWith } from "../helpers/app";
import { chunkedStream, generatedStream, randomBytes } from "../helpers/bytes";
import { metaHeaders } from "../helpers/fixtures";
import { errorOf } from "../helpers/http";
import { registerImage, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";

const QUOTA = 10_000;

/** The app with a storage quota; every image is registered by the admin for a given owner. */
function quotaApp(quota = QUOTA) {
	const app = appWith({ vars: { USER_STORAGE_QUOTA: String(quota) } });
	return {
		async register(owner: string): Promise<string> {
			return (await registerImage({ disk_format: "raw", owner }, "admin", app)).id;
		},
		upload(id: string, body: BodyInit, headers: Record<string, string> = {}) {
			const length: Record<string, string> =
				body instanceof Uint8Array ? { "content-length": String(body.byteLength) } : {};
			return app.api(`/v1/images/${id}`, {
				method: "PUT",
				as: "admin",
				headers: { "content-type": "application/octet-stream", ...length, ...headers },
				body,
			});
		},
		post(owner: string, body: BodyInit) {
			return app.api("/v1/images", {
				method: "POST",
				as: "admin",
				headers: metaHeaders({
					"content-type": "application/octet-stream",
					"x-image-meta-name": "quota",
					"x-image-meta-owner": owner,
				}),
				body,
			});
		},
		delete: (id: string) => app.api(`/v1/images/${id}`, { method: "DELETE", as: "admin" }),
	};
}

const row = (id: string) => storedRow(id, ["status", "reserved_bytes"]);

async function activeBytes(owner: string): Promise<number> {
	const r = await env.DB.prepare(
		"SELECT IFNULL(SUM(size), 0) AS n FROM images WHERE owner = ?1 AND status = 'active'",
	)
		.bind(owner)
		.first<{ n: number }>();
	return r?.n ?? 0;
}

describe("per-tenant storage quota", () => {
	it("refuses an upload that would pass the quota with 413 naming the limit, keeping the image queued", async () => {
		const q = quotaApp();
		const first = await q.register("quota-1");
		expect((await q.upload(first, randomBytes(6000))).status).toBe(200);
		const second = await q.register("quota-1");
		const refused = await q.upload(second, randomBytes(6000));
		expect(refused.status).toBe(413);
		expect((await errorOf(refused)).message).toBe(
			"Denying attempt to upload image because it exceeds the storage quota of 10000 bytes: 6000 bytes are already stored or reserved, and this upload needs 6000 more.",
		);
		expect(await row(second)).toEqual({ status: "queued", reserved_bytes: 0 });
		expect(await env.IMAGES.head(`images/${second}`)).toBeNull();
		// Another tenant's usage does not count.
		const elsewhere = await q.register("quota-1b");
		expect((await q.upload(elsewhere, randomBytes(6000))).status).toBe(200);
	});

	it("kills an image registered and uploaded in one POST when it passes the quota", async () => {
		const q = quotaApp();
		expect((await q.post("quota-2", randomBytes(9000))).status).toBe(201);
		const refused = await q.post("quota-2", randomBytes(2000));
		expect(refused.status).toBe(413);
		const killed = await env.DB.prepare(
			"SELECT status, status_reason FROM images WHERE owner = 'quota-2' AND status != 'active'",
		).first<{ status: string; status_reason: string }>();
		expect(killed?.status).toBe("killed");
		expect(killed?.status_reason).toContain("storage quota");
	});

	it("frees the quota when an image is deleted", async () => {
		const q = quotaApp();
		const big = await q.register("quota-3");
		expect((await q.upload(big, randomBytes(9000))).status).toBe(200);
		const next = await q.register("quota-3");
		expect((await q.upload(next, randomBytes(5000))).status).toBe(413);
		expect((await q.delete(big)).status).toBe(200);
		expect((await q.upload(next, randomBytes(5000))).status).toBe(200);
	});

	it("never lets concurrent uploads overshoot a nearly full quota", async () => {
		const q = quotaApp();
		const ids = await Promise.all(Array.from({ length: 6 }, () => q.register("quota-4")));
		const results = await Promise.all(
			ids.map((id) =>
				q.upload(id, chunkedStream(randomBytes(3000), 500), { "x-image-meta-size": "3000" }),
			),
		);
		const statuses = results.map((r) => r.status).sort();
		expect(statuses.filter((s) => s === 200)).toHaveLength(3);
		expect(statuses.filter((s) => s === 413)).toHaveLength(3);
		expect(await activeBytes("quota-4")).toBe(9000);
	});

	it("reserves an unknown-length upload part by part and kills it when a part passes the quota", async () => {
		const q = quotaApp(7 * 1024 * 1024);
		const id = await q.register("quota-5");
		const res = await q.upload(id, generatedStream(11 * 1024 * 1024));
		expect(res.status).toBe(413);
		expect(await row(id)).toEqual({ status: "killed", reserved_bytes: 0 });
		expect(await env.IMAGES.head(`images/${id}`)).toBeNull();
		// The failed upload's reservation is released.
		const small = await q.register("quota-5");
		expect((await q.upload(small, generatedStream(6 * 1024 * 1024))).status).toBe(200);
	});

	it("settles the reservation into the image size when the upload ends", async () => {
		const q = quotaApp();
		const id = await q.register("quota-6");
		expect((await q.upload(id, randomBytes(1234))).status).toBe(200);
		expect(await row(id)).toEqual({ status: "active", reserved_bytes: 0 });
		expect(await activeBytes("quota-6")).toBe(1234);
	});
});

// Whatever raced or failed above, nothing may be half-done afterwards.
afterEach(() => expectInvariants());
