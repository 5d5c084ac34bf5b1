/**
 * Every end of an upload has one owner (services/image-lifecycle.ts): a session and a plain
 * upload never share an image, parts go only to a queued image, bytes go only with the
 * transition that made their image dead, and reservations end with the upload.
 */
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { D1SessionRepository } from "../../src/metadata/d1-session-repository";
import { D1SweeperQueries } from "../../src/metadata/d1-sweeper-queries";
import { sweep } from "../../src/services/sweeper";
import { verifyUploadedImage } from "../../src/services/verify-upload";
import { md5Hex, randomBytes } from "../helpers/bytes";
import { REGISTRATION } from "../helpers/fixtures";
import { errorOf, TOKENS } from "../helpers/http";
import { expectInvariants, TrackingBlobStore } from "../helpers/invariants";
import { fixture } from "../inspection/fixtures";

const MiB = 1024 * 1024;

function appWith(vars: Record<string, string> = {}, blobs = new TrackingBlobStore()) {
	const app = createApp({ blobStore: () => blobs, enqueueVerification: () => async () => {} });
	const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
		app.request(
			`https://glance.test/v1${path}`,
			{ ...init, headers: { "x-auth-token": TOKENS.owner, ...init.headers } },
			{ ...env, ...vars },
		);
	const deps = () => ({
		images: new D1ImageRepository(env.DB),
		sessions: new D1SessionRepository(env.DB),
		blobs,
		config: loadConfig({ ...env, ...vars }),
	});
	const sweepAt = (when: Date) => sweep({ ...deps(), queries: new D1SweeperQueries(env.DB) }, when);
	return { call, blobs, deps, sweepAt };
}

type Call = ReturnType<typeof appWith>["call"];

async function register(call: Call, extra: object = {}): Promise<string> {
	const res = await call("/images", {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ ...REGISTRATION, disk_format: "raw", ...extra }),
	});
	expect(res.status).toBe(202);
	return ((await res.json()) as { image: { id: string } }).image.id;
}

const openSession = (call: Call, id: string, size: number) =>
	call(`/images/${id}/upload-session`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify({ size }),
	});

const putData = (call: Call, id: string, bytes: Uint8Array, headers: Record<string, string> = {}) =>
	call(`/images/${id}`, {
		method: "PUT",
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(bytes.byteLength),
			...headers,
		},
		body: bytes,
	});

const putPart = (call: Call, id: string, n: number, bytes: Uint8Array) =>
	call(`/images/${id}/upload-session/parts/${n}`, {
		method: "PUT",
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(bytes.byteLength),
		},
		body: bytes,
	});

const row = (id: string) =>
	env.DB.prepare("SELECT status, size, reserved_bytes, deleted FROM images WHERE id = ?1")
		.bind(id)
		.first<{ status: string; size: number; reserved_bytes: number; deleted: number }>();

const sessionRows = async (id: string) =>
	(
		await env.DB.prepare(
			"SELECT (SELECT COUNT(*) FROM upload_sessions WHERE image_id = ?1) + (SELECT COUNT(*) FROM upload_parts WHERE image_id = ?1) AS n",
		)
			.bind(id)
			.first<{ n: number }>()
	)?.n;

/**
 * An open session beside an image that can no longer take data: what an older version of this
 * service could leave behind (a plain upload used to be accepted while a session was open).
 */
async function legacySession(
	blobs: TrackingBlobStore,
	id: string,
	session: { size: number; expires: string },
) {
	const upload = await blobs.startMultipart(`images/${id}`);
	await env.DB.prepare(
		`INSERT INTO upload_sessions (image_id, upload_id, size, part_size, part_count, state, created_at, expires_at)
		 VALUES (?1, ?2, ?3, ?4, ?5, 'open', '2020-01-01T00:00:00.000000', ?6)`,
	)
		.bind(
			id,
			upload.uploadId,
			session.size,
			5 * MiB,
			Math.ceil(session.size / (5 * MiB)),
			session.expires,
		)
		.run();
	return upload;
}

describe("a plain data upload while an upload session is open", () => {
	it("is refused with 409 naming the session, and the session keeps the image", async () => {
		const { call, blobs, sweepAt } = appWith({ UPLOAD_SESSION_TTL_SECONDS: "2" });
		const id = await register(call);
		expect((await openSession(call, id, 1000)).status).toBe(201);

		const put = await putData(call, id, randomBytes(1000, 7));
		expect(put.status).toBe(409);
		expect((await errorOf(put)).message).toMatch(/upload session is open/);
		expect(await row(id)).toMatchObject({ status: "queued", reserved_bytes: 1000 });
		await expectInvariants(blobs);

		// The session expires: the kill takes effect, and with it the bytes go. Nothing was lost.
		await sweepAt(new Date(Date.now() + 5000));
		expect((await row(id))?.status).toBe("killed");
		expect(await sessionRows(id)).toBe(0);
		await expectInvariants(blobs);
	});

	it("never loses an active image's bytes to a session its image outlived", async () => {
		const { call, blobs, sweepAt } = appWith();
		const id = await register(call);
		const data = randomBytes(1000, 8);
		expect((await putData(call, id, data)).status).toBe(200);
		// A session left by an older version beside an active image.
		await legacySession(blobs, id, { size: 1000, expires: "2020-01-01T00:00:00.000000" });

		const report = await sweepAt(new Date());
		expect(report.expiredSessions).toBe(1);
		expect(await row(id)).toMatchObject({ status: "active", size: 1000 });
		const download = await call(`/images/${id}`);
		expect(download.status).toBe(200);
		expect(new Uint8Array(await download.arrayBuffer())).toEqual(data);
		expect(await sessionRows(id)).toBe(0);
		await expectInvariants(blobs);
	});
});

describe("parts of a session whose image is no longer queued", () => {
	it("are refused, so nothing is stored that the storage quota does not count", async () => {
		const { call, blobs } = appWith({ USER_STORAGE_QUOTA: String(6 * MiB) });
		const id = await register(call);
		expect((await putData(call, id, randomBytes(1000, 9))).status).toBe(200);
		const upload = await legacySession(blobs, id, {
			size: 10 * MiB,
			expires: "2999-01-01T00:00:00.000000",
		});

		const part = await putPart(call, id, 1, randomBytes(5 * MiB, 10));
		expect(part.status).toBe(409);
		expect((await errorOf(part)).message).toMatch(/no longer takes parts/);
		const parts = await env.DB.prepare("SELECT COUNT(*) AS n FROM upload_parts WHERE image_id = ?1")
			.bind(id)
			.first<{ n: number }>();
		expect(parts?.n).toBe(0);
		// The sweeper's job in real life; here, so the next tests start clean.
		await env.DB.prepare("DELETE FROM upload_sessions WHERE image_id = ?1").bind(id).run();
		await upload.abort();
		await expectInvariants(blobs);
	});

	it("go nowhere once the image is deleted: the session closed with the tombstone", async () => {
		const { call, blobs } = appWith();
		const id = await register(call);
		expect((await openSession(call, id, 6 * MiB)).status).toBe(201);
		expect((await putPart(call, id, 2, randomBytes(MiB, 11))).status).toBe(200);
		expect((await call(`/images/${id}`, { method: "DELETE" })).status).toBe(200);
		expect((await putPart(call, id, 1, randomBytes(5 * MiB, 12))).status).toBe(404);
		await expectInvariants(blobs);
	});
});

describe("deleting an image whose upload is in progress", () => {
	it("releases the reservation in the same statement as the tombstone", async () => {
		const { call, blobs } = appWith();
		const id = await register(call);
		expect((await openSession(call, id, 6 * MiB)).status).toBe(201);
		expect((await row(id))?.reserved_bytes).toBe(6 * MiB);
		expect((await call(`/images/${id}`, { method: "DELETE" })).status).toBe(200);
		expect(await row(id)).toMatchObject({ status: "deleted", reserved_bytes: 0, deleted: 1 });
		expect(await sessionRows(id)).toBe(0);
		await expectInvariants(blobs);
	});

	it("releases it for a completed session waiting for verification too", async () => {
		const { call, blobs, deps } = appWith();
		const id = await register(call);
		const data = randomBytes(MiB, 13);
		expect((await openSession(call, id, MiB)).status).toBe(201);
		expect((await putPart(call, id, 1, data)).status).toBe(200);
		const done = await call(`/images/${id}/upload-session/complete`, { method: "POST" });
		expect(done.status).toBe(202);
		expect((await call(`/images/${id}`, { method: "DELETE" })).status).toBe(200);
		expect(await row(id)).toMatchObject({ status: "deleted", reserved_bytes: 0 });
		expect(await verifyUploadedImage(deps(), id)).toBe("skipped");
		await expectInvariants(blobs);
	});
});

describe("relabelling an image that has bytes", () => {
	it("holds disk_format and container_format to the rule the upload passed", async () => {
		const { call, blobs } = appWith();
		const id = await register(call, { disk_format: "qcow2" });
		const qcow2 = await fixture("qcow2-v3.qcow2");
		const up = await putData(call, id, qcow2, { "x-image-meta-checksum": await md5Hex(qcow2) });
		expect(up.status).toBe(200);

		const raw = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-disk_format": "raw" },
		});
		expect(raw.status).toBe(400);
		expect((await errorOf(raw)).field).toBe("x-image-meta-disk_format");
		const ova = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-container_format": "ova" },
		});
		expect(ova.status).toBe(400);
		expect((await errorOf(ova)).field).toBe("x-image-meta-container_format");
		// What still describes the bytes is accepted.
		const same = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-disk_format": "qcow2", "x-image-meta-name": "renamed" },
		});
		expect(same.status).toBe(200);
		await expectInvariants(blobs);
	});

	it("lets raw bytes take another plain-bytes label, but not a format they are not", async () => {
		const { call } = appWith();
		const id = await register(call);
		expect((await putData(call, id, randomBytes(4096, 14))).status).toBe(200);
		const ami = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-disk_format": "ami", "x-image-meta-container_format": "ami" },
		});
		expect(ami.status).toBe(200);
		const qcow2 = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-disk_format": "qcow2", "x-image-meta-container_format": "bare" },
		});
		expect(qcow2.status).toBe(400);
	});

	it("is refused with 409 while the bytes are being verified", async () => {
		// Reads fail at completion, so the verification is left to the queue: the image stays saving.
		const unreadable = new TrackingBlobStore();
		unreadable.get = async () => {
			throw new Error("the store failed a read");
		};
		const { call } = appWith({}, unreadable);
		const id = await register(call);
		expect((await openSession(call, id, MiB)).status).toBe(201);
		expect((await putPart(call, id, 1, randomBytes(MiB, 15))).status).toBe(200);
		expect((await call(`/images/${id}/upload-session/complete`, { method: "POST" })).status).toBe(
			202,
		);
		const during = await call(`/images/${id}`, {
			method: "PUT",
			headers: { "x-image-meta-disk_format": "iso" },
		});
		expect(during.status).toBe(409);
	});
});
