import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { loadConfig } from "../../src/config";
import type { VerifyMessage } from "../../src/env";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { D1SessionRepository } from "../../src/metadata/d1-session-repository";
import { D1SweeperQueries } from "../../src/metadata/d1-sweeper-queries";
import { sweep } from "../../src/services/sweeper";
import { verifyUploadedImage } from "../../src/services/verify-upload";
import type { BlobStore } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { createWorker } from "../../src/worker";
import { appWith } from "../helpers/app";
import { md5Hex, randomBytes, sha512Hex } from "../helpers/bytes";
import { type ApiInit, type Caller, errorOf } from "../helpers/http";
import { registerImage, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";
import { storeWith } from "../helpers/stores";

const MiB = 1024 * 1024;

interface Session {
	image_id: string;
	size: number;
	part_size: number;
	part_count: number;
	parts: number[];
	expires_at: string;
}

/** The app with verification captured instead of queued, so tests run the verifier themselves. */
function sessionApp(vars: Partial<Cloudflare.Env> = {}, blobStore?: () => BlobStore) {
	const queued: string[] = [];
	const app = appWith({
		vars,
		deps: { enqueueVerification: () => async (id) => void queued.push(id), blobStore },
	});
	const call = (path: string, init: ApiInit = {}, as: Caller = "owner") =>
		app.api(`/v1${path}`, { ...init, as });
	/** A raw image without data; its id. */
	const register = async (extra: object = {}, as: Caller = "owner") =>
		(await registerImage({ disk_format: "raw", ...extra }, as, app)).id;
	return { call, register, queued };
}

const deps = () => ({
	images: new D1ImageRepository(env.DB),
	sessions: new D1SessionRepository(env.DB),
	blobs: new R2BlobStore(env.IMAGES),
	config: loadConfig(env),
});

function json(body: unknown) {
	return {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(body),
	};
}

function part(bytes: Uint8Array) {
	return {
		method: "PUT",
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(bytes.byteLength),
		},
		body: bytes,
	};
}

const status = (id: string) => storedRow(id, ["status", "reserved_bytes", "status_reason"]);

/** The store, with every read failing (as R2 can): completion must leave the work to the queue. */
const failingReads = storeWith({
	get: async () => {
		throw new Error("the store failed a read");
	},
});

describe("upload sessions", () => {
	it("takes parts in any order, and completing verifies and activates the image", async () => {
		const { call, register, queued } = sessionApp();
		const id = await register();
		const data = randomBytes(11 * MiB + 5, 21);
		const opened = await call(
			`/images/${id}/upload-session`,
			json({
				size: data.byteLength,
				checksum: await md5Hex(data),
				os_hash_value: await sha512Hex(data),
			}),
		);
		expect(opened.status).toBe(201);
		const { session } = (await opened.json()) as { session: Session };
		expect(session).toMatchObject({
			image_id: id,
			size: data.byteLength,
			part_size: 5 * MiB,
			part_count: 3,
			parts: [],
		});
		expect(await status(id)).toMatchObject({ status: "queued", reserved_bytes: data.byteLength });

		const slice = (n: number) =>
			data.slice((n - 1) * 5 * MiB, Math.min(n * 5 * MiB, data.byteLength));
		for (const n of [3, 1, 2, 1]) {
			const res = await call(`/images/${id}/upload-session/parts/${n}`, part(slice(n)));
			expect(res.status).toBe(200);
			expect(((await res.json()) as { part: { part_number: number } }).part.part_number).toBe(n);
		}
		const read = await call(`/images/${id}/upload-session`);
		expect(((await read.json()) as { session: Session }).session.parts).toEqual([1, 2, 3]);

		const completed = await call(`/images/${id}/upload-session/complete`, { method: "POST" });
		expect(completed.status).toBe(202);
		// What the out-of-order parts left unhashed is little enough to hash at completion.
		expect(((await completed.json()) as { image: { status: string } }).image.status).toBe("active");
		// Only the late safety net was queued, and it finds nothing to do.
		expect(queued).toEqual([id]);
		expect(await verifyUploadedImage(deps(), id)).toBe("skipped");
		expect(await status(id)).toMatchObject({ status: "active", reserved_bytes: 0 });
		const download = await call(`/images/${id}`);
		expect(download.headers.get("x-image-meta-checksum")).toBe(await md5Hex(data));
		expect(await sha512Hex(new Uint8Array(await download.arrayBuffer()))).toBe(
			await sha512Hex(data),
		);
		expect((await call(`/images/${id}/upload-session`)).status).toBe(404);
	});

	it("refuses a part of the wrong size or number, and completing with parts missing", async () => {
		const { call, register } = sessionApp();
		const id = await register();
		await call(`/images/${id}/upload-session`, json({ size: 6 * MiB }));
		const short = await call(`/images/${id}/upload-session/parts/1`, part(randomBytes(1000)));
		expect(short.status).toBe(400);
		expect((await errorOf(short)).message).toBe(
			`Part 1 must be exactly ${5 * MiB} bytes, not 1000.`,
		);
		const last = await call(`/images/${id}/upload-session/parts/2`, part(randomBytes(2 * MiB)));
		expect(last.status).toBe(400);
		expect((await call(`/images/${id}/upload-session/parts/3`, part(randomBytes(10)))).status).toBe(
			400,
		);
		expect(
			(await call(`/images/${id}/upload-session/parts/2`, part(randomBytes(MiB)))).status,
		).toBe(200);
		const incomplete = await call(`/images/${id}/upload-session/complete`, { method: "POST" });
		expect(incomplete.status).toBe(400);
		expect((await errorOf(incomplete)).message).toBe("The upload is not complete: part 1 missing.");
	});

	it("kills the image and removes the bytes when the declared checksum does not match", async () => {
		const { call, register } = sessionApp();
		const id = await register();
		const data = randomBytes(6 * MiB, 22);
		await call(
			`/images/${id}/upload-session`,
			json({ size: data.byteLength, checksum: "0".repeat(32) }),
		);
		await call(`/images/${id}/upload-session/parts/1`, part(data.slice(0, 5 * MiB)));
		await call(`/images/${id}/upload-session/parts/2`, part(data.slice(5 * MiB)));
		const completed = await call(`/images/${id}/upload-session/complete`, { method: "POST" });
		expect(completed.status).toBe(202);
		expect(((await completed.json()) as { image: { status: string } }).image.status).toBe("killed");
		expect(await verifyUploadedImage(deps(), id)).toBe("skipped");
		const row = await status(id);
		expect(row).toMatchObject({ status: "killed", reserved_bytes: 0 });
		expect(row?.status_reason).toContain("checksum");
		expect(await env.IMAGES.head(`images/${id}`)).toBeNull();
		const head = await call(`/images/${id}`, { method: "HEAD" });
		expect(head.headers.get("x-image-meta-status")).toBe("killed");
	});

	it("allows one open session per image, aborts cleanly, and only for queued images", async () => {
		const { call, register } = sessionApp();
		const id = await register();
		expect((await call(`/images/${id}/upload-session`, json({ size: 100 }))).status).toBe(201);
		const second = await call(`/images/${id}/upload-session`, json({ size: 100 }));
		expect(second.status).toBe(409);
		expect((await call(`/images/${id}/upload-session`, { method: "DELETE" })).status).toBe(204);
		expect(await status(id)).toMatchObject({ status: "queued", reserved_bytes: 0 });
		expect((await call(`/images/${id}/upload-session`)).status).toBe(404);
		expect((await call(`/images/${id}/upload-session`, json({ size: 100 }))).status).toBe(201);

		const other = await call(`/images/${id}/upload-session`, {}, "other");
		expect(other.status).toBe(404);
		await env.DB.prepare("UPDATE images SET status = 'active' WHERE id = ?1").bind(id).run();
		await call(`/images/${id}/upload-session`, { method: "DELETE" });
		const notQueued = await call(`/images/${id}/upload-session`, json({ size: 100 }));
		expect(notQueued.status).toBe(409);
	});

	it("validates the session request", async () => {
		const { call, register } = sessionApp();
		const id = await register();
		for (const body of [
			{},
			{ size: 0 },
			{ size: 1.5 },
			{ size: 10, checksum: "xyz" },
			{ size: 10, extra: 1 },
		]) {
			expect((await call(`/images/${id}/upload-session`, json(body))).status).toBe(400);
		}
		const huge = await call(`/images/${id}/upload-session`, json({ size: 2_000_000_000_000 }));
		expect(huge.status).toBe(400);
	});

	it("reserves the whole size against the storage quota when the session opens", async () => {
		const { call, register } = sessionApp({ USER_STORAGE_QUOTA: String(8 * MiB) });
		// A tenant of its own: other tests' images count against tenant-a.
		const open = (id: string) =>
			call(`/images/${id}/upload-session`, json({ size: 6 * MiB }), "admin");
		const first = await register({ owner: "quota-s" }, "admin");
		expect((await open(first)).status).toBe(201);
		const second = await register({ owner: "quota-s" }, "admin");
		const refused = await open(second);
		expect(refused.status).toBe(413);
		expect((await errorOf(refused)).message).toContain("storage quota");
	});

	it("picks the part size SESSION_PART_BYTES prefers, not the unknown-length part size", async () => {
		const { call, register } = sessionApp({
			UPLOAD_PART_BYTES: String(5 * MiB),
			SESSION_PART_BYTES: String(7 * MiB),
		});
		const id = await register();
		const res = await call(`/images/${id}/upload-session`, json({ size: 100 * MiB }));
		expect(res.status).toBe(201);
		const { session } = (await res.json()) as { session: Session };
		expect(session).toMatchObject({ part_size: 7 * MiB, part_count: 15 });
	});

	it("picks parts under the request limit and refuses images too large for it", async () => {
		const { call, register } = sessionApp({ MAX_REQUEST_BYTES: String(6 * MiB) });
		const id = await register();
		const res = await call(`/images/${id}/upload-session`, json({ size: 100 * MiB }));
		const { session } = (await res.json()) as { session: Session };
		expect(session.part_size).toBeLessThanOrEqual(6 * MiB);
		expect(session.part_size).toBeGreaterThanOrEqual(5 * MiB);
		const tooBig = await register();
		const refused = await call(`/images/${tooBig}/upload-session`, json({ size: 100_000 * MiB }));
		expect(refused.status).toBe(413);
	});
});

describe("sweeper", () => {
	it("kills expired sessions and stalled uploads, and deletes orphaned objects", async () => {
		const { call, register } = sessionApp({ UPLOAD_SESSION_TTL_SECONDS: "1" });
		const expired = await register();
		await call(`/images/${expired}/upload-session`, json({ size: 6 * MiB }));
		await call(`/images/${expired}/upload-session/parts/1`, part(randomBytes(5 * MiB)));

		const stalled = await register();
		await env.DB.prepare(
			"UPDATE images SET status = 'saving', upload_started_at = '2000-01-01T00:00:00.000000' WHERE id = ?1",
		)
			.bind(stalled)
			.run();
		await env.IMAGES.put(`images/${stalled}`, "partial");

		const orphan = `images/${crypto.randomUUID()}`;
		await env.IMAGES.put(orphan, "nobody's");
		const killed = await register();
		await env.DB.prepare("UPDATE images SET status = 'killed' WHERE id = ?1").bind(killed).run();
		await env.IMAGES.put(`images/${killed}`, "garbage");
		const active = await register();
		await env.DB.prepare("UPDATE images SET status = 'active' WHERE id = ?1").bind(active).run();
		await env.IMAGES.put(`images/${active}`, "keep me");

		const later = new Date(Date.now() + 5000);
		const report = await sweep({ ...deps(), queries: new D1SweeperQueries(env.DB) }, later);
		expect(report.expiredSessions).toBe(1);
		expect(report.staleUploads).toBe(1);
		expect(await status(expired)).toMatchObject({ status: "killed", reserved_bytes: 0 });
		expect((await status(expired))?.status_reason).toContain("expired");
		expect((await status(stalled))?.status).toBe("killed");
		for (const key of [orphan, `images/${killed}`, `images/${stalled}`]) {
			expect(await env.IMAGES.head(key)).toBeNull();
		}
		expect(await env.IMAGES.head(`images/${active}`)).not.toBeNull();

		// Idempotent: a second run finds nothing more to do.
		const again = await sweep({ ...deps(), queries: new D1SweeperQueries(env.DB) }, later);
		expect(again).toMatchObject({ expiredSessions: 0, staleUploads: 0, orphanedObjectsDeleted: 0 });
	});
});

describe("verification queue consumer", () => {
	it("verifies the image named by each message and acknowledges it", async () => {
		// The store fails the reads at completion, so the image is left to the queue.
		const { call, register } = sessionApp({}, failingReads);
		const id = await register();
		const data = randomBytes(1000, 23);
		await call(`/images/${id}/upload-session`, json({ size: data.byteLength }));
		await call(`/images/${id}/upload-session/parts/1`, part(data));
		await call(`/images/${id}/upload-session/complete`, { method: "POST" });
		expect((await status(id))?.status).toBe("saving");

		const batch = createMessageBatch<VerifyMessage>("glance-edge-verify", [
			{ id: "m1", timestamp: new Date(), attempts: 1, body: { image_id: id } },
		]);
		const ctx = createExecutionContext();
		await createWorker().queue(batch, env);
		const result = await getQueueResult(batch, ctx);
		expect(result.explicitAcks).toEqual(["m1"]);
		expect((await status(id))?.status).toBe("active");
	});
});

describe("deleting an image with an open session", () => {
	it("aborts the session and drops its parts", async () => {
		const { call, register } = sessionApp();
		const id = await register();
		await call(`/images/${id}/upload-session`, json({ size: 6 * MiB }));
		expect(
			(await call(`/images/${id}/upload-session/parts/2`, part(randomBytes(MiB)))).status,
		).toBe(200);
		expect((await call(`/images/${id}`, { method: "DELETE" })).status).toBe(200);
		const sessions = await env.DB.prepare(
			"SELECT COUNT(*) AS n FROM upload_sessions WHERE image_id = ?1",
		)
			.bind(id)
			.first<{ n: number }>();
		const parts = await env.DB.prepare("SELECT COUNT(*) AS n FROM upload_parts WHERE image_id = ?1")
			.bind(id)
			.first<{ n: number }>();
		expect([sessions?.n, parts?.n]).toEqual([0, 0]);
	});
});

// Whatever raced or failed above, nothing may be half-done afterwards.
afterEach(() => expectInvariants());
