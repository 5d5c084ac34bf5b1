import { env } from "cloudflare:workers";
import { loadConfig } from "../../src/config";
import type { Env } from "../../src/env";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { D1SessionRepository } from "../../src/metadata/d1-session-repository";
import { D1SweeperQueries } from "../../src/metadata/d1-sweeper-queries";
import { sweep } from "../../src/services/sweeper";
import { verifyUploadedImage } from "../../src/services/verify-upload";
import type { BlobStore } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { appWith } from "../helpers/app";
import { brokenStream, chunkedStream, md5Hex, randomBytes, sha512Hex } from "../helpers/bytes";
import { type ApiInit, type Caller, errorOf, jsonInit } from "../helpers/http";
import { objectExists, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";
import { putFailingMidway } from "../helpers/stores";
import { fixture } from "../inspection/fixtures";

const RAW = { disk_format: "raw", container_format: "bare" };
const GLANCE_DIRECT = { method: { name: "glance-direct" } };

/** The app with verification captured instead of queued: tests run the verifier themselves. */
function importApp(vars: Partial<Cloudflare.Env> = {}, blobStore?: (e: Env) => BlobStore) {
	const queued: string[] = [];
	const app = appWith({
		vars,
		deps: { enqueueVerification: () => async (id) => void queued.push(id), blobStore },
	});
	const call = (path: string, init: ApiInit = {}) => app.api(`/v2${path}`, init);
	const create = async (fields: object = RAW, as: Caller = "owner") => {
		const res = await call("/images", jsonInit(fields, { as }));
		expect(res.status).toBe(201);
		return (await res.json()) as { id: string };
	};
	const stage = (id: string, body: Uint8Array | ReadableStream<Uint8Array>, init: ApiInit = {}) =>
		call(`/images/${id}/stage`, {
			method: "PUT",
			...init,
			headers: { "content-type": "application/octet-stream", ...init.headers },
			body,
		});
	const startImport = (id: string, body: unknown = GLANCE_DIRECT) =>
		call(`/images/${id}/import`, jsonInit(body));
	const show = async (id: string) =>
		(await (await call(`/images/${id}`)).json()) as Record<string, unknown>;
	const tasks = async (id: string) =>
		((await (await call(`/images/${id}/tasks`)).json()) as { tasks: Record<string, unknown>[] })
			.tasks;
	return { app, call, create, stage, startImport, show, tasks, queued };
}

const background = () => ({
	images: new D1ImageRepository(env.DB),
	sessions: new D1SessionRepository(env.DB),
	blobs: new R2BlobStore(env.IMAGES),
	config: loadConfig(env),
});

/** Staged, then imported: the verifier's outcome. */
async function stageAndImport(t: ReturnType<typeof importApp>, data: Uint8Array, fields = RAW) {
	const { id } = await t.create(fields);
	expect((await t.stage(id, data)).status).toBe(204);
	expect((await t.startImport(id)).status).toBe(202);
	return { id, outcome: await verifyUploadedImage(background(), id) };
}

describe("discovery of the import", () => {
	it("advertises glance-direct only, in /v2/info/import and on create", async () => {
		const t = importApp();
		const info = await t.call("/info/import");
		expect(await info.json()).toEqual({
			"import-methods": {
				description: "Import methods available.",
				type: "array",
				value: ["glance-direct"],
			},
		});
		const created = await t.call("/images", jsonInit(RAW));
		expect(created.headers.get("OpenStack-image-import-methods")).toBe("glance-direct");
	});
});

describe("PUT /v2/images/{id}/stage", () => {
	it("stages the bytes (204, empty, not JSON): uploading with its size, not downloadable", async () => {
		const t = importApp();
		const { id } = await t.create({});
		const data = randomBytes(70_000, 31);
		const res = await t.stage(id, data);
		expect(res.status).toBe(204);
		expect(res.headers.get("content-type")).not.toContain("json");
		expect(await res.text()).toBe("");
		expect(await t.show(id)).toMatchObject({ status: "uploading", size: 70_000, checksum: null });
		const download = await t.call(`/images/${id}/file`);
		expect(download.status).toBe(204);
		expect(await objectExists(id)).toBe(true);
		expect(await storedRow(id, ["reserved_bytes"])).toMatchObject({ reserved_bytes: 70_000 });
		await expectInvariants();
	});

	it("takes a chunked body (glanceclient's)", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, chunkedStream(randomBytes(300_000, 32), 40_000))).status).toBe(204);
		expect(await t.show(id)).toMatchObject({ status: "uploading", size: 300_000 });
	});

	it("refuses a second stage, and an image that is not queued, with 409", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(1000))).status).toBe(204);
		const again = await t.stage(id, randomBytes(1000));
		expect(again.status).toBe(409);
		expect((await errorOf(again)).message).toBe(
			"Image status transition from uploading to uploading is not allowed",
		);
		expect(await t.show(id)).toMatchObject({ status: "uploading", size: 1000 });
	});

	it("lets exactly one of two racing stages win", async () => {
		const t = importApp();
		const { id } = await t.create();
		const statuses = (
			await Promise.all([
				t.stage(id, randomBytes(200_000, 1)),
				t.stage(id, randomBytes(200_000, 2)),
			])
		).map((r) => r.status);
		expect(statuses.sort()).toEqual([204, 409]);
		await expectInvariants();
	});

	it("requires application/octet-stream (415), the owner (403/404)", async () => {
		const t = importApp();
		const { id } = await t.create({ ...RAW, visibility: "community" });
		const wrongType = await t.stage(id, randomBytes(10), {
			headers: { "content-type": "text/plain" },
		});
		expect(wrongType.status).toBe(415);
		expect((await t.stage(id, randomBytes(10), { as: "other" })).status).toBe(403);
		const privateImage = await t.create({ ...RAW, visibility: "private" });
		expect((await t.stage(privateImage.id, randomBytes(10), { as: "other" })).status).toBe(404);
	});

	it("queues the image again, with no bytes left, when the client disconnects mid-stage", async () => {
		const t = importApp();
		const { id } = await t.create();
		const res = await t.stage(id, brokenStream(100_000));
		expect(res.status).toBe(400);
		expect(await storedRow(id, ["status", "size", "reserved_bytes"])).toEqual({
			status: "queued",
			size: null,
			reserved_bytes: 0,
		});
		expect(await objectExists(id)).toBe(false);
		// And it can be staged again.
		expect((await t.stage(id, randomBytes(5000))).status).toBe(204);
		await expectInvariants();
	});

	it("queues the image again and answers 503 when R2 fails halfway", async () => {
		const failing = putFailingMidway();
		const t = importApp({}, failing);
		const { id } = await t.create();
		const data = randomBytes(400_000, 5);
		const res = await t.stage(id, data, { headers: { "content-length": String(data.length) } });
		expect(res.status).toBe(503);
		expect((await storedRow(id))?.status).toBe("queued");
		expect(await objectExists(id)).toBe(false);
		await expectInvariants();
	});

	it("counts staged bytes against the storage quota (413, nothing kept)", async () => {
		// A tenant of its own: the quota counts every image of the owner.
		const as = "member" as const;
		const t = importApp({ USER_STORAGE_QUOTA: "100000" });
		const first = await t.create(RAW, as);
		expect((await t.stage(first.id, randomBytes(60_000), { as })).status).toBe(204);
		const second = await t.create(RAW, as);
		const data = randomBytes(60_000, 2);
		const res = await t.stage(second.id, data, {
			as,
			headers: { "content-length": String(data.length) },
		});
		expect(res.status).toBe(413);
		expect((await storedRow(second.id))?.status).toBe("queued");
		expect(await objectExists(second.id)).toBe(false);
		// The chunked path is held to it part by part too.
		const chunked = await t.stage(second.id, chunkedStream(randomBytes(60_000, 3), 10_000), {
			as,
		});
		expect(chunked.status).toBe(413);
		expect((await storedRow(second.id))?.status).toBe("queued");
		await expectInvariants();
	});
});

describe("POST /v2/images/{id}/import", () => {
	it("imports staged data (202, empty, not JSON): importing, then active with its digests", async () => {
		const t = importApp();
		const { id } = await t.create();
		const data = randomBytes(120_000, 41);
		expect((await t.stage(id, data)).status).toBe(204);
		const res = await t.startImport(id);
		expect(res.status).toBe(202);
		expect(res.headers.get("content-type")).not.toContain("json");
		expect(await res.text()).toBe("");
		expect(await t.show(id)).toMatchObject({ status: "importing" });
		expect(t.queued).toEqual([id]);
		expect((await t.tasks(id))[0]).toMatchObject({
			type: "api_image_import",
			status: "processing",
			image_id: id,
		});

		expect(await verifyUploadedImage(background(), id)).toBe("active");
		expect(await t.show(id)).toMatchObject({
			status: "active",
			size: data.length,
			checksum: await md5Hex(data),
			os_hash_algo: "sha512",
			os_hash_value: await sha512Hex(data),
		});
		const download = await t.call(`/images/${id}/file`);
		expect(new Uint8Array(await download.arrayBuffer())).toEqual(data);
		expect((await t.tasks(id))[0]).toMatchObject({
			status: "success",
			message: "",
			input: { image_id: id, import_req: { method: { name: "glance-direct" } } },
			result: { image_id: id },
		});
		expect(await storedRow(id, ["reserved_bytes"])).toEqual({ reserved_bytes: 0 });
		// A second delivery of the message does nothing.
		expect(await verifyUploadedImage(background(), id)).toBe("skipped");
		await expectInvariants();
	});

	it("imports a real qcow2, recording its virtual size", async () => {
		const t = importApp();
		const data = await fixture("qcow2-v3.qcow2");
		const { id, outcome } = await stageAndImport(t, data, {
			disk_format: "qcow2",
			container_format: "bare",
		});
		expect(outcome).toBe("active");
		const shown = await t.show(id);
		expect(shown.status).toBe("active");
		expect(shown.virtual_size).toBeGreaterThan(0);
	});

	it("queues the image again with the failure on its task when content inspection refuses it", async () => {
		const t = importApp();
		const { id, outcome } = await stageAndImport(t, await fixture("bad-qcow2-backing-file.qcow2"), {
			disk_format: "qcow2",
			container_format: "bare",
		});
		expect(outcome).toBe("killed");
		expect(await t.show(id)).toMatchObject({ status: "queued", size: null, checksum: null });
		const [task] = await t.tasks(id);
		expect(task).toMatchObject({ status: "failure" });
		expect(task.message).toMatch(/backing file/i);
		expect(await objectExists(id)).toBe(false);
		// Glance's retry: stage again and import again.
		const again = await stageAndImport(t, randomBytes(1000), RAW);
		expect(again.outcome).toBe("active");
		await expectInvariants();
	});

	it("refuses an image that is not staged (409), active (409), without formats (409)", async () => {
		const t = importApp();
		const queued = await t.create();
		const notStaged = await t.startImport(queued.id);
		expect(notStaged.status).toBe(409);
		expect((await errorOf(notStaged)).message).toBe(
			"Image needs to be staged before 'glance-direct' method can be used",
		);
		const bare = await t.create({});
		expect((await t.stage(bare.id, randomBytes(100))).status).toBe(204);
		const noFormats = await t.startImport(bare.id);
		expect(noFormats.status).toBe(409);
		expect((await errorOf(noFormats)).message).toBe(
			"'container_format' needs to be set before import",
		);
		const { id } = await stageAndImport(t, randomBytes(100));
		const active = await t.startImport(id);
		expect(active.status).toBe(409);
		expect((await errorOf(active)).message).toBe(
			"Image with status active cannot be target for import",
		);
	});

	it("refuses a second import while one runs, and lets one of two racing imports win", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(2000))).status).toBe(204);
		const statuses = (await Promise.all([t.startImport(id), t.startImport(id)])).map(
			(r) => r.status,
		);
		expect(statuses.sort()).toEqual([202, 409]);
		expect(t.queued).toEqual([id]);
	});

	it.each([
		[{}, "Import request requires a 'method' field."],
		[{ method: {} }, "Import request requires a 'name' field."],
		[
			{ method: { name: "web-download", uri: "http://127.0.0.1/" } },
			"Unknown import method name 'web-download'.",
		],
		[{ method: { name: "copy-image" } }, "Unknown import method name 'copy-image'."],
		[
			{ method: { name: "glance-direct" }, all_stores: "yes" },
			"'all_stores' must be boolean value only",
		],
	])("refuses the body %j with 400", async (body, message) => {
		const t = importApp();
		const { id } = await t.create();
		const res = await t.startImport(id, body);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe(message);
	});

	it("is 404 for an image the caller cannot see, 403 for one it cannot change", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(100))).status).toBe(204);
		const hidden = await t.call(`/images/${id}/import`, jsonInit(GLANCE_DIRECT, { as: "other" }));
		expect(hidden.status).toBe(404);
		const community = await t.create({ ...RAW, visibility: "community" });
		expect((await t.stage(community.id, randomBytes(100))).status).toBe(204);
		const res = await t.call(
			`/images/${community.id}/import`,
			jsonInit(GLANCE_DIRECT, { as: "other" }),
		);
		expect(res.status).toBe(403);
		expect((await t.show(community.id)).status).toBe("uploading");
	});

	it("deleting the image while it imports leaves nothing behind", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(50_000))).status).toBe(204);
		expect((await t.startImport(id)).status).toBe(202);
		expect((await t.call(`/images/${id}`, { method: "DELETE" })).status).toBe(204);
		expect(await objectExists(id)).toBe(false);
		expect(await verifyUploadedImage(background(), id)).toBe("skipped");
		expect(await objectExists(id)).toBe(false);
		await expectInvariants();
	});
});

describe("the sweeper and stages and imports", () => {
	const sweepAt = (later: number) =>
		sweep(
			{ ...background(), queries: new D1SweeperQueries(env.DB) },
			new Date(Date.now() + later * 1000),
		);
	const config = loadConfig(env);

	it("queues again an import that never finished, and the late verifier then changes nothing", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(4000))).status).toBe(204);
		expect((await t.startImport(id)).status).toBe(202);
		// Not yet stale: nothing happens.
		expect((await sweepAt(10)).staleImports).toBe(0);
		const report = await sweepAt(config.staleUploadSeconds + 60);
		expect(report.staleImports).toBeGreaterThanOrEqual(1);
		expect(await t.show(id)).toMatchObject({ status: "queued" });
		expect((await t.tasks(id))[0]).toMatchObject({ status: "failure" });
		expect(await verifyUploadedImage(background(), id)).toBe("skipped");
		await expectInvariants();
	});

	it("queues again staged data never imported, after the session deadline, not before", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect((await t.stage(id, randomBytes(4000))).status).toBe(204);
		await sweepAt(config.staleUploadSeconds + 60);
		expect(config.sessionTtlSeconds).toBeGreaterThan(config.staleUploadSeconds + 60);
		expect((await t.show(id)).status).toBe("uploading");
		await sweepAt(config.sessionTtlSeconds + 60);
		expect((await t.show(id)).status).toBe("queued");
		expect(await objectExists(id)).toBe(false);
		await expectInvariants();
	});
});

describe("GET /v2/info/usage and /v2/images/{id}/tasks", () => {
	it("reports stored and staged bytes and image counts, Glance's way (MiB) and exactly", async () => {
		const t = importApp({ USER_STORAGE_QUOTA: String(50 * 1024 * 1024) });
		const before = (await (await t.call("/info/usage", { as: "sharer" })).json()) as {
			usage: Record<string, { limit: number; usage: number; usage_bytes?: number }>;
		};
		expect(Object.keys(before.usage).sort()).toEqual([
			"image_count_total",
			"image_count_uploading",
			"image_size_total",
			"image_stage_total",
		]);
		const as = { as: "sharer" as const };
		const make = async () =>
			((await (await t.call("/images", jsonInit(RAW, as))).json()) as { id: string }).id;
		const stored = await make();
		const activeData = randomBytes(2 * 1024 * 1024 + 5, 9);
		const put = await t.call(`/images/${stored}/file`, {
			...as,
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			body: activeData,
		});
		expect(put.status).toBe(204);
		const staged = await make();
		const stage = await t.call(`/images/${staged}/stage`, {
			...as,
			method: "PUT",
			headers: { "content-type": "application/octet-stream" },
			body: randomBytes(1024 * 1024 + 1, 8),
		});
		expect(stage.status).toBe(204);
		await make();
		const usage = ((await (await t.call("/info/usage", as)).json()) as typeof before).usage;
		expect(usage).toEqual({
			image_size_total: {
				limit: 50,
				usage: 2,
				limit_bytes: 50 * 1024 * 1024,
				usage_bytes: activeData.length,
			},
			image_stage_total: {
				limit: 50,
				usage: 1,
				limit_bytes: 50 * 1024 * 1024,
				usage_bytes: 1024 * 1024 + 1,
			},
			image_count_total: { limit: -1, usage: 3 },
			image_count_uploading: { limit: -1, usage: 1 },
		});
	});

	it("lists no task before an import, 404 for an image the caller cannot see", async () => {
		const t = importApp();
		const { id } = await t.create();
		expect(await t.tasks(id)).toEqual([]);
		expect((await t.call(`/images/${id}/tasks`, { as: "other" })).status).toBe(404);
		expect((await t.call(`/images/${id}/tasks`, { method: "POST" })).status).toBe(404);
	});
});
