import { env } from "cloudflare:workers";
import { loadConfig } from "../../src/config";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { D1SessionRepository } from "../../src/metadata/d1-session-repository";
import { D1SweeperQueries } from "../../src/metadata/d1-sweeper-queries";
import { sweep } from "../../src/services/sweeper";
import { verifyUploadedImage } from "../../src/services/verify-upload";
import type { BlobStore } from "../../src/storage/blob-store";
import { appWith } from "../helpers/app";
import { expectSameBytes, md5Hex, randomBytes, sha512Hex } from "../helpers/bytes";
import { type ApiInit, type Caller, errorOf, jsonInit } from "../helpers/http";
import { objectExists, storedRow } from "../helpers/images";
import { expectInvariants, TrackingBlobStore } from "../helpers/invariants";

const MiB = 1024 * 1024;
const RAW = { disk_format: "raw", container_format: "bare" };
const GLANCE_DIRECT = { method: { name: "glance-direct" } };

interface Session {
	size: number;
	part_size: number;
	part_count: number;
	parts: number[];
	state: string;
	checksum: string | null;
	os_hash_value: string | null;
}

/**
 * The app with verification captured instead of queued (tests run the verifier themselves) and
 * a store that tracks every multipart upload, so invariants can tell none was left open.
 */
function stagingApp(vars: Partial<Cloudflare.Env> = {}, store?: BlobStore) {
	const tracker = new TrackingBlobStore(store);
	const queued: string[] = [];
	const app = appWith({
		vars,
		deps: {
			enqueueVerification: () => async (id) => void queued.push(id),
			blobStore: () => tracker,
		},
	});
	const call = (path: string, init: ApiInit = {}) => app.api(`/v2${path}`, init);
	const create = async (as: Caller = "owner") => {
		const res = await call("/images", jsonInit(RAW, { as }));
		expect(res.status).toBe(201);
		return ((await res.json()) as { id: string }).id;
	};
	const session = (id: string) => `/images/${id}/upload-session`;
	const open = (id: string, body: object, as: Caller = "owner") =>
		call(session(id), jsonInit(body, { as }));
	const openOk = async (id: string, body: object) => {
		const res = await open(id, body);
		expect(res.status).toBe(201);
		return ((await res.json()) as { session: Session }).session;
	};
	const putPart = (id: string, n: number, bytes: Uint8Array, as: Caller = "owner") =>
		call(`${session(id)}/parts/${n}`, {
			method: "PUT",
			as,
			headers: {
				"content-type": "application/octet-stream",
				"content-length": String(bytes.byteLength),
			},
			body: bytes,
		});
	const complete = (id: string, declared?: object) =>
		call(`${session(id)}/complete`, declared ? jsonInit(declared) : { method: "POST" });
	const startImport = (id: string) => call(`/images/${id}/import`, jsonInit(GLANCE_DIRECT));
	const show = async (id: string) =>
		(await (await call(`/images/${id}`)).json()) as Record<string, unknown>;
	return {
		app,
		call,
		create,
		session,
		open,
		openOk,
		putPart,
		complete,
		startImport,
		show,
		tracker,
	};
}

const background = (blobs: BlobStore) => ({
	images: new D1ImageRepository(env.DB),
	sessions: new D1SessionRepository(env.DB),
	blobs,
	config: loadConfig(env),
});

/** The bytes of part n of a session over `data`. */
const slice = (data: Uint8Array, s: Session, n: number) =>
	data.subarray((n - 1) * s.part_size, Math.min(n * s.part_size, data.length));

/** Stages `data` through a session, its parts sent last to first; the completed answer. */
async function stageInParts(
	t: ReturnType<typeof stagingApp>,
	id: string,
	data: Uint8Array,
	declared: object = {},
) {
	const s = await t.openOk(id, { size: data.length, ...declared });
	for (let n = s.part_count; n >= 1; n--) {
		expect((await t.putPart(id, n, slice(data, s, n))).status).toBe(200);
	}
	return t.complete(id);
}

describe("POST /v2/images/{id}/upload-session (staging in parts)", () => {
	it("stages parts sent out of order, then imports the assembled object: active, same bytes", async () => {
		const t = stagingApp();
		const id = await t.create();
		const data = randomBytes(11 * MiB + 5, 41);
		const [md5, sha512] = [await md5Hex(data), await sha512Hex(data)];
		const s = await t.openOk(id, { size: data.length, checksum: md5, os_hash_value: sha512 });
		expect(s).toMatchObject({ size: data.length, part_size: 5 * MiB, part_count: 3, parts: [] });
		expect(s.state).toBe("open");
		// Opening stages: uploading, the whole size reserved, no size until it is all there.
		expect(await t.show(id)).toMatchObject({ status: "uploading", size: null });
		expect(await storedRow(id, ["reserved_bytes"])).toMatchObject({ reserved_bytes: data.length });

		for (const n of [3, 1]) expect((await t.putPart(id, n, slice(data, s, n))).status).toBe(200);
		const read = (await (await t.call(t.session(id))).json()) as { session: Session };
		expect(read.session.parts).toEqual([1, 3]);
		// Not staged yet: neither complete nor import.
		const incomplete = await t.complete(id);
		expect(incomplete.status).toBe(400);
		expect((await errorOf(incomplete)).message).toBe("The upload is not complete: part 2 missing.");
		const early = await t.startImport(id);
		expect(early.status).toBe(409);
		expect((await errorOf(early)).message).toBe(
			"Image needs to be staged before 'glance-direct' method can be used",
		);
		expect((await t.putPart(id, 2, slice(data, s, 2))).status).toBe(200);

		const completed = await t.complete(id);
		expect(completed.status).toBe(200);
		expect(await completed.json()).toMatchObject({ id, status: "uploading", size: data.length });
		// Staged, not downloadable; a retried complete answers the same.
		expect((await t.call(`/images/${id}/file`)).status).toBe(204);
		expect((await t.complete(id)).status).toBe(200);
		// The v1 view shows the v2 status, as Glance 16 did.
		const head = await t.app.api(`/v1/images/${id}`, { method: "HEAD" });
		expect(head.headers.get("x-image-meta-status")).toBe("uploading");
		const usage = (await (await t.call("/info/usage")).json()) as {
			usage: { image_stage_total: { usage_bytes: number } };
		};
		expect(usage.usage.image_stage_total.usage_bytes).toBeGreaterThanOrEqual(data.length);

		expect((await t.startImport(id)).status).toBe(202);
		expect(await t.show(id)).toMatchObject({ status: "importing" });
		expect(await verifyUploadedImage(background(t.tracker), id)).toBe("active");
		expect(await t.show(id)).toMatchObject({
			status: "active",
			size: data.length,
			checksum: md5,
			os_hash_algo: "sha512",
			os_hash_value: sha512,
		});
		const download = await t.call(`/images/${id}/file`);
		expect(download.status).toBe(200);
		expectSameBytes(new Uint8Array(await download.arrayBuffer()), data);
		// The session ended with the import.
		expect((await t.call(t.session(id))).status).toBe(404);
		expect(await storedRow(id, ["reserved_bytes"])).toMatchObject({ reserved_bytes: 0 });
		await expectInvariants(t.tracker);
	});

	it("queues the image again with the reason when the data is not what the session declared", async () => {
		const t = stagingApp();
		const data = randomBytes(6 * MiB, 42);
		const other = randomBytes(6 * MiB, 43);
		for (const declared of [
			{ checksum: await md5Hex(other) },
			{ os_hash_value: await sha512Hex(other) },
		]) {
			const id = await t.create();
			expect((await stageInParts(t, id, data, declared)).status).toBe(200);
			expect((await t.startImport(id)).status).toBe(202);
			expect(await verifyUploadedImage(background(t.tracker), id)).toBe("killed");
			const image = await t.show(id);
			expect(image).toMatchObject({ status: "queued", size: null, checksum: null });
			const tasks = (await (await t.call(`/images/${id}/tasks`)).json()) as {
				tasks: { status: string; message: string }[];
			};
			expect(tasks.tasks[0].status).toBe("failure");
			expect(tasks.tasks[0].message).toMatch(
				"checksum" in declared ? /checksum/i : /os_hash_value/,
			);
			expect(await objectExists(id)).toBe(false);
			expect((await t.call(t.session(id))).status).toBe(404);
		}
		await expectInvariants(t.tracker);
	});

	it("takes digests declared at completion, as v1's sessions do: checked by the import, never contradicting the opening's", async () => {
		const t = stagingApp();
		const data = randomBytes(6 * MiB, 44);
		const other = randomBytes(6 * MiB, 45);
		const stageAll = async (id: string, opening: object = {}) => {
			const s = await t.openOk(id, { size: data.length, ...opening });
			for (let n = 1; n <= s.part_count; n++) {
				expect((await t.putPart(id, n, slice(data, s, n))).status).toBe(200);
			}
		};
		// A digest the data does not have, declared at completion: the import fails it.
		const wrong = await t.create();
		await stageAll(wrong);
		expect((await t.complete(wrong, { os_hash_value: await sha512Hex(other) })).status).toBe(200);
		expect((await t.startImport(wrong)).status).toBe(202);
		expect(await verifyUploadedImage(background(t.tracker), wrong)).toBe("killed");
		expect(await t.show(wrong)).toMatchObject({ status: "queued" });

		// One contradicting what the opening declared: 400 naming it, the session still open.
		const clash = await t.create();
		await stageAll(clash, { checksum: await md5Hex(data) });
		const refused = await t.complete(clash, { checksum: await md5Hex(other) });
		expect(refused.status).toBe(400);
		expect((await errorOf(refused)).field).toBe("checksum");
		expect(await t.show(clash)).toMatchObject({ status: "uploading", size: null });

		// The right ones: active with them.
		const good = await t.create();
		await stageAll(good);
		const declared = { checksum: await md5Hex(data), os_hash_value: await sha512Hex(data) };
		expect((await t.complete(good, declared)).status).toBe(200);
		expect((await t.startImport(good)).status).toBe(202);
		expect(await verifyUploadedImage(background(t.tracker), good)).toBe("active");
		expect(await t.show(good)).toMatchObject({ status: "active", ...declared });
		expect((await t.call(t.session(clash), { method: "DELETE" })).status).toBe(204);
		await expectInvariants(t.tracker);
	});

	it("aborts (204): the image is queued again, its parts gone, and takes a new stage", async () => {
		const t = stagingApp();
		const id = await t.create();
		const s = await t.openOk(id, { size: 6 * MiB });
		expect((await t.putPart(id, 1, randomBytes(s.part_size, 44))).status).toBe(200);
		// The v1 routes do not end a stage: v2's abort queues the image again.
		expect((await t.app.api(`/v1/images/${id}/upload-session`, { method: "DELETE" })).status).toBe(
			409,
		);
		const v1Part = await t.app.api(`/v1/images/${id}/upload-session/parts/2`, {
			method: "PUT",
			headers: { "content-type": "application/octet-stream", "content-length": "10" },
			body: randomBytes(10),
		});
		expect(v1Part.status).toBe(409);

		const aborted = await t.call(t.session(id), { method: "DELETE" });
		expect(aborted.status).toBe(204);
		expect(await storedRow(id, ["status", "reserved_bytes", "status_reason"])).toEqual({
			status: "queued",
			reserved_bytes: 0,
			status_reason: "The staging session was aborted.",
		});
		expect((await t.call(t.session(id))).status).toBe(404);
		expect((await t.call(t.session(id), { method: "DELETE" })).status).toBe(404);
		expect((await t.putPart(id, 1, randomBytes(s.part_size))).status).toBe(404);
		await expectInvariants(t.tracker);
		// Staged again, in one request this time.
		const again = await t.call(`/images/${id}/stage`, {
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			body: randomBytes(1000),
		});
		expect(again.status).toBe(204);
	});

	it("is given up on by the sweeper when it expires mid-way: queued again, nothing left", async () => {
		const t = stagingApp();
		const id = await t.create();
		const s = await t.openOk(id, { size: 11 * MiB });
		expect((await t.putPart(id, 2, randomBytes(s.part_size, 45))).status).toBe(200);
		const config = loadConfig(env);
		const sweepAt = (later: number) =>
			sweep(
				{ ...background(t.tracker), queries: new D1SweeperQueries(env.DB) },
				new Date(Date.now() + later * 1000),
			);
		// Past the stale-upload age but inside the session's deadline: the session rules.
		expect(config.sessionTtlSeconds).toBeGreaterThan(config.staleUploadSeconds + 60);
		await sweepAt(config.staleUploadSeconds + 60);
		expect((await t.show(id)).status).toBe("uploading");
		const report = await sweepAt(config.sessionTtlSeconds + 60);
		expect(report.expiredSessions).toBeGreaterThanOrEqual(1);
		expect(await storedRow(id, ["status", "reserved_bytes", "status_reason"])).toEqual({
			status: "queued",
			reserved_bytes: 0,
			status_reason: "The upload session expired before it was completed.",
		});
		expect((await t.call(t.session(id))).status).toBe(404);
		expect(await objectExists(id)).toBe(false);
		await expectInvariants(t.tracker);
	});

	it("reserves the whole size against the storage quota when it opens (413, nothing kept)", async () => {
		const as = "third" as const;
		const t = stagingApp({ USER_STORAGE_QUOTA: String(8 * MiB) });
		const first = await t.create(as);
		expect((await t.open(first, { size: 6 * MiB }, as)).status).toBe(201);
		const second = await t.create(as);
		const over = await t.open(second, { size: 3 * MiB }, as);
		expect(over.status).toBe(413);
		expect((await errorOf(over)).message).toMatch(/quota/i);
		expect(await storedRow(second, ["status", "reserved_bytes"])).toEqual({
			status: "queued",
			reserved_bytes: 0,
		});
		// A one-request stage meets the same reservation.
		const stage = await t.call(`/images/${second}/stage`, {
			method: "PUT",
			as,
			headers: { "content-type": "application/octet-stream", "content-length": String(3 * MiB) },
			body: randomBytes(3 * MiB),
		});
		expect(stage.status).toBe(413);
		expect((await t.open(second, { size: 2 * MiB }, as)).status).toBe(201);
		await expectInvariants(t.tracker);
	});

	it("needs a queued image, its owner, and one session at a time", async () => {
		const t = stagingApp();
		const id = await t.create();
		expect((await t.open(id, { size: 100 }, "other")).status).toBe(404);
		expect((await t.open(id, { size: 100 }, "admin")).status).toBe(201);
		const again = await t.open(id, { size: 100 });
		expect(again.status).toBe(409);
		expect((await errorOf(again)).message).toBe(
			"Image status transition from uploading to uploading is not allowed",
		);
		expect((await t.open(id, { size: 0 })).status).toBe(400);
		// A v1 session on a queued image is no stage: v2 neither shows nor ends it.
		const v1 = (await t.app.api("/v1/images", jsonInit({ name: "v1", ...RAW }))).json();
		const v1Id = ((await v1) as { image: { id: string } }).image.id;
		const v1Open = await t.app.api(`/v1/images/${v1Id}/upload-session`, jsonInit({ size: 100 }));
		expect(v1Open.status).toBe(201);
		expect((await t.call(t.session(v1Id))).status).toBe(404);
		expect((await t.call(t.session(v1Id), { method: "DELETE" })).status).toBe(404);
		expect((await t.call(`${t.session(v1Id)}/complete`, { method: "POST" })).status).toBe(404);
	});

	it("deleting the image mid-stage removes its parts", async () => {
		const t = stagingApp();
		const id = await t.create();
		const s = await t.openOk(id, { size: 6 * MiB });
		expect((await t.putPart(id, 1, randomBytes(s.part_size, 46))).status).toBe(200);
		expect((await t.call(`/images/${id}`, { method: "DELETE" })).status).toBe(204);
		expect((await t.putPart(id, 2, randomBytes(MiB))).status).toBe(404);
		await expectInvariants(t.tracker);
	});
});
