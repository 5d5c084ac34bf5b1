/**
 * Upload sessions hash their parts in order as they arrive (services/session-digests.ts): what
 * the chain of hashed parts looks like after each way of sending them, and that the image's
 * checksum and os_hash_value are always the MD5 and SHA-512 of the whole data.
 */

import { env } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { loadConfig } from "../../src/config";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { D1SessionRepository } from "../../src/metadata/d1-session-repository";
import { D1SweeperQueries } from "../../src/metadata/d1-sweeper-queries";
import { sweep } from "../../src/services/sweeper";
import { verifyUploadedImage } from "../../src/services/verify-upload";
import type { BlobStore } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { appWith } from "../helpers/app";
import { brokenStream, randomBytes } from "../helpers/bytes";
import type { ApiInit } from "../helpers/http";
import { registerImage, storedRow } from "../helpers/images";
import { expectInvariants } from "../helpers/invariants";
import { storeWith } from "../helpers/stores";

const MiB = 1024 * 1024;
const PART = 5 * MiB;

const nodeDigests = (data: Uint8Array) => ({
	checksum: createHash("md5").update(data).digest("hex"),
	os_hash_value: createHash("sha512").update(data).digest("hex"),
});

function harness(blobStore?: () => BlobStore, vars: Partial<Cloudflare.Env> = {}) {
	const queued: string[] = [];
	const app = appWith({
		vars,
		deps: { enqueueVerification: () => async (id) => void queued.push(id), blobStore },
	});
	const call = (path: string, init: ApiInit = {}) => app.api(`/v1${path}`, init);
	const deps = () => ({
		images: new D1ImageRepository(env.DB),
		sessions: new D1SessionRepository(env.DB),
		blobs: new R2BlobStore(env.IMAGES),
		config: loadConfig(env),
	});
	/** A queued raw image with a session open for `data`; its id. */
	const open = async (data: Uint8Array, declared: object = {}) => {
		const { id } = await registerImage({ disk_format: "raw" }, "owner", app);
		const res = await call(`/images/${id}/upload-session`, {
			method: "POST",
			headers: { "content-type": "application/json" },
			body: JSON.stringify({ size: data.byteLength, ...declared }),
		});
		expect(res.status).toBe(201);
		return id;
	};
	const slice = (data: Uint8Array, n: number) => data.slice((n - 1) * PART, n * PART);
	const put = (id: string, n: number, bytes: Uint8Array | ReadableStream, length?: number) =>
		call(`/images/${id}/upload-session/parts/${n}`, {
			method: "PUT",
			headers: {
				"content-type": "application/octet-stream",
				"content-length": String(length ?? (bytes as Uint8Array).byteLength),
			},
			body: bytes,
		});
	const complete = async (id: string, declared?: object) => {
		const res = await call(`/images/${id}/upload-session/complete`, {
			method: "POST",
			...(declared
				? { headers: { "content-type": "application/json" }, body: JSON.stringify(declared) }
				: {}),
		});
		return { status: res.status, body: (await res.json()) as { image: Record<string, unknown> } };
	};
	return { call, deps, open, slice, put, complete, queued };
}

/** Which stored parts are in the chain of hashed parts, by number. */
async function hashedParts(id: string): Promise<number[]> {
	const parts = await new D1SessionRepository(env.DB).parts(id);
	return parts.filter((p) => p.hashed).map((p) => p.part_number);
}

/** A promise and the function that resolves it. */
function settable(): { promise: Promise<void>; resolve: () => void } {
	let resolve: () => void = () => {};
	const promise = new Promise<void>((done) => {
		resolve = () => done();
	});
	return { promise, resolve };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * A store that reads the first write of part 1 whole, then holds it until released (as R2
 * finishing a part can) and lets it succeed or fail; every part it reads is noted.
 */
function holdingPartOne({ fail }: { fail: boolean }) {
	const released = settable();
	const read = settable();
	const partsRead: number[] = [];
	let holding = true;
	const store = storeWith({
		uploadPart: (inner) => async (n, bytes) => {
			const whole = bytes instanceof ReadableStream ? await readAll(bytes) : bytes;
			partsRead.push(n);
			if (n === 1 && holding) {
				holding = false;
				read.resolve();
				await released.promise;
				if (fail) throw new Error("R2 internal error");
			}
			return inner.uploadPart(n, whole);
		},
	});
	return { store, read: read.promise, release: released.resolve, partsRead };
}

/**
 * A session of three parts whose part 1 the store fails after reading it whole, while part 2
 * waits for it; part 2's answer still to come.
 */
async function partOneFailsUnderPartTwo(seed: number) {
	const held = holdingPartOne({ fail: true });
	const h = harness(held.store);
	const data = randomBytes(2 * PART + 5, seed);
	const id = await h.open(data);
	const first = h.put(id, 1, h.slice(data, 1));
	await held.read;
	const second = h.put(id, 2, h.slice(data, 2));
	await new Promise((resolve) => setTimeout(resolve, 50));
	held.release();
	expect((await first).status).toBe(503);
	return { ...h, held, data, id, second };
}

/** Whether `condition` holds within `ms`, checked every few milliseconds. */
async function eventually(condition: () => boolean, ms = 3_000): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > deadline) return false;
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
	return true;
}

/** The parts of image `id` logged as stored unhashed while `during` runs, with the reasons. */
async function unhashedReasons(id: string, during: () => Promise<void>) {
	const info = vi.spyOn(console, "info");
	try {
		await during();
		return info.mock.calls
			.map(([line]) => JSON.parse(String(line)))
			.filter((entry) => entry.msg === "session part stored unhashed" && entry.image_id === id)
			.map((entry) => [entry.part_number, entry.reason]);
	} finally {
		info.mockRestore();
	}
}

const image = (id: string) =>
	storedRow(id, ["status", "size", "checksum", "os_hash_value", "status_reason"]);

async function expectDigestsOf(id: string, data: Uint8Array) {
	expect(await image(id)).toMatchObject({
		status: "active",
		size: data.byteLength,
		...nodeDigests(data),
	});
}

describe("hashing the parts of an upload session", () => {
	it("hashes parts sent in order as they arrive, so completion activates at once", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(3 * PART + 1000, 42);
		const id = await open(data, nodeDigests(data));
		for (const n of [1, 2, 3, 4]) expect((await put(id, n, slice(data, n))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3, 4]);
		const done = await complete(id);
		expect(done.status).toBe(202);
		expect(done.body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("hashes concurrent parts in order: each waits for the predecessor on its way", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(4 * PART + 12_345, 43);
		const id = await open(data);
		// All five at once, the last ones first: each arrives before its predecessor is hashed.
		const answers = await Promise.all([5, 4, 3, 2, 1].map((n) => put(id, n, slice(data, n))));
		expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
		expect(await hashedParts(id)).toEqual([1, 2, 3, 4, 5]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("continues a predecessor the store is still taking only once it is saved", async () => {
		const held = holdingPartOne({ fail: false });
		const { open, slice, put, complete } = harness(held.store);
		const data = randomBytes(2 * PART + 777, 54);
		const id = await open(data);
		const first = put(id, 1, slice(data, 1));
		await held.read;
		const second = put(id, 2, slice(data, 2));
		// Part 2 continues part 1's digests from D1 alone: not while the store holds part 1.
		expect(await eventually(() => held.partsRead.includes(2), 300)).toBe(false);
		expect(await new D1SessionRepository(env.DB).parts(id)).toEqual([]);
		held.release();
		expect([(await first).status, (await second).status]).toEqual([200, 200]);
		expect((await put(id, 3, slice(data, 3))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("waits for a predecessor that failed to be sent again, and the chain goes on", async () => {
		const { held, slice, put, complete, data, id, second } = await partOneFailsUnderPartTwo(55);
		// Part 2 waits on: its client's neighbour is sending part 1 again, as after a dropped part.
		expect(await eventually(() => held.partsRead.includes(2), 300)).toBe(false);
		expect((await put(id, 1, slice(data, 1))).status).toBe(200);
		expect((await second).status).toBe(200);
		expect((await put(id, 3, slice(data, 3))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("stops waiting for a failed predecessor not sent again in time, and stores unhashed", async () => {
		const { slice, put, complete, data, id, second } = await partOneFailsUnderPartTwo(57);
		// A minute later part 1 has not come again: part 2 waits no longer.
		vi.useFakeTimers({ toFake: ["Date"] });
		try {
			vi.setSystemTime(Date.now() + 60_000);
			expect((await second).status).toBe(200);
		} finally {
			vi.useRealTimers();
		}
		expect(await hashedParts(id)).toEqual([]);
		for (const n of [1, 3]) expect((await put(id, n, slice(data, n))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("waits for a predecessor not seen yet while the parts come in order, as after a lost request", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART + 99, 58);
		const id = await open(data);
		// Part 2 reaches the worker first: part 1 was opened with it, or lost on the way and resent.
		const second = put(id, 2, slice(data, 2));
		await new Promise((resolve) => setTimeout(resolve, 500));
		expect(await hashedParts(id)).toEqual([]);
		expect((await put(id, 1, slice(data, 1))).status).toBe(200);
		expect((await second).status).toBe(200);
		expect((await put(id, 3, slice(data, 3))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("stops waiting for a predecessor that does not arrive, and says why", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART + 3, 59);
		const id = await open(data);
		const reasons = await unhashedReasons(id, async () => {
			const second = put(id, 2, slice(data, 2));
			await new Promise((resolve) => setTimeout(resolve, 200));
			vi.useFakeTimers({ toFake: ["Date"] });
			try {
				vi.setSystemTime(Date.now() + 60_000);
				expect((await second).status).toBe(200);
			} finally {
				vi.useRealTimers();
			}
		});
		expect(reasons).toEqual([[2, "the part before it did not arrive"]]);
		for (const n of [1, 3]) expect((await put(id, n, slice(data, n))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("stores a part whose predecessor is not coming unhashed, and completion hashes it", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART + 10, 44);
		const id = await open(data);
		const reasons = await unhashedReasons(id, async () => {
			// Sent last part first: the parts around each show it, and none waits for the one before.
			const started = Date.now();
			for (const n of [3, 2, 1]) expect((await put(id, n, slice(data, n))).status).toBe(200);
			expect(Date.now() - started).toBeLessThan(2_000);
		});
		// Why each part left the chain is logged.
		expect(reasons).toEqual([
			[3, "the part before it is not on its way"],
			[2, "the part before it is not on its way"],
		]);
		expect(await hashedParts(id)).toEqual([1]);
		const done = await complete(id);
		expect(done.body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("takes the parts after a part re-sent with other bytes out of the chain", async () => {
		const { open, slice, put, complete } = harness();
		const first = randomBytes(3 * PART, 45);
		const id = await open(first);
		for (const n of [1, 2, 3]) await put(id, n, slice(first, n));
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		// The same bytes again (a retry whose answer was lost) leave the digests after it as they
		// were; other bytes for part 2 take part 3 out.
		expect((await put(id, 2, slice(first, 2))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		const changed = first.slice();
		changed.set(randomBytes(PART, 46), PART);
		expect((await put(id, 2, slice(changed, 2))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, changed);
	});

	it("keeps nothing of a part whose client hangs up half-way, and takes it again", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART + 99, 47);
		const id = await open(data);
		await put(id, 1, slice(data, 1));
		const cut = await put(id, 2, brokenStream(PART / 2), PART);
		expect(cut.status).toBe(503);
		expect(await hashedParts(id)).toEqual([1]);
		// Its mark says it failed: a successor waits a little for it to be sent again.
		const marks = await env.DB.prepare(
			"SELECT part_number, failed_at IS NOT NULL AS failed FROM upload_part_arrivals WHERE image_id = ?1",
		)
			.bind(id)
			.all<{ part_number: number; failed: number }>();
		expect(marks.results).toEqual([{ part_number: 2, failed: 1 }]);
		for (const n of [2, 3]) expect((await put(id, n, slice(data, n))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("keeps nothing of a part the store fails half-way, and takes it again", async () => {
		let failures = 1;
		const flaky = storeWith({
			uploadPart: (inner) => async (n, bytes) => {
				if (n === 2 && failures-- > 0 && bytes instanceof ReadableStream) {
					// Read half of the part, then fail as R2 can.
					const reader = bytes.getReader();
					for (let got = 0; got < PART / 2; ) got += ((await reader.read()).value ?? []).length;
					await reader.cancel();
					throw new Error("R2 internal error");
				}
				return inner.uploadPart(n, bytes);
			},
		});
		const { open, slice, put, complete } = harness(flaky);
		const data = randomBytes(3 * PART, 48);
		const id = await open(data);
		await put(id, 1, slice(data, 1));
		expect((await put(id, 2, slice(data, 2))).status).toBe(503);
		expect(await hashedParts(id)).toEqual([1]);
		for (const n of [2, 3]) expect((await put(id, n, slice(data, n))).status).toBe(200);
		expect(await hashedParts(id)).toEqual([1, 2, 3]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("refuses to complete with parts missing, and keeps the chain for when they come", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(3 * PART, 49);
		const id = await open(data);
		await put(id, 1, slice(data, 1));
		await put(id, 3, slice(data, 3));
		const early = await complete(id);
		expect(early.status).toBe(400);
		expect(JSON.stringify(early.body)).toContain("part 2 missing");
		await put(id, 2, slice(data, 2));
		expect(await hashedParts(id)).toEqual([1, 2]);
		expect((await complete(id)).body.image.status).toBe("active");
		await expectDigestsOf(id, data);
	});

	it("kills the image when the data is not what the session declared", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART, 50);
		const id = await open(data, { os_hash_value: "0".repeat(128) });
		for (const n of [1, 2]) await put(id, n, slice(data, n));
		const done = await complete(id);
		expect(done.body.image.status).toBe("killed");
		expect(String((await image(id))?.status_reason)).toContain("SHA-512");
	});

	it("checks the digests declared at completion, by a client that hashed while sending", async () => {
		const { open, slice, put, complete } = harness();
		const data = randomBytes(2 * PART + 3, 53);
		const good = await open(data);
		for (const n of [1, 2, 3]) await put(good, n, slice(data, n));
		expect((await complete(good, nodeDigests(data))).body.image.status).toBe("active");
		await expectDigestsOf(good, data);

		const bad = await open(data, { checksum: nodeDigests(data).checksum });
		for (const n of [1, 2, 3]) await put(bad, n, slice(data, n));
		// Contradicting what the session was opened with is refused; the session stays open.
		const contradicting = await complete(bad, { checksum: "0".repeat(32) });
		expect(contradicting.status).toBe(400);
		expect((await complete(bad, { os_hash_value: "f".repeat(128) })).body.image.status).toBe(
			"killed",
		);
	});

	it("hashes what is left in bounded steps when completion cannot, one verifier at a time", async () => {
		// Reads fail at completion: the whole verification is left to the background.
		const { open, slice, put, complete, deps, queued } = harness(
			storeWith({
				get: async () => {
					throw new Error("the store failed a read");
				},
			}),
		);
		const data = randomBytes(4 * PART + 5, 51);
		const id = await open(data);
		for (const n of [5, 4, 3, 2, 1]) await put(id, n, slice(data, n));
		expect(await hashedParts(id)).toEqual([1]);
		expect((await complete(id)).body.image.status).toBe("saving");
		expect(queued).toEqual([id, id]);
		// Two verifiers at once, 3 MiB a step: one advances, the other stands aside.
		const first = await Promise.all([
			verifyUploadedImage(deps(), id, 3 * MiB),
			verifyUploadedImage(deps(), id, 3 * MiB),
		]);
		expect(first.sort()).toEqual(["continuing", "skipped"]);
		const outcomes: string[] = [];
		for (let step = 0; step < 10; step++) {
			const outcome = await verifyUploadedImage(deps(), id, 3 * MiB);
			outcomes.push(outcome);
			if (outcome !== "continuing") break;
		}
		expect(outcomes.at(-1)).toBe("active");
		expect(outcomes.length).toBeGreaterThan(3);
		await expectDigestsOf(id, data);
	});

	it("lets the sweeper expire a session half-way, with its marks and hashed parts", async () => {
		const { open, slice, put, deps } = harness(undefined, { UPLOAD_SESSION_TTL_SECONDS: "1" });
		const data = randomBytes(3 * PART, 52);
		const id = await open(data);
		await put(id, 1, slice(data, 1));
		await put(id, 2, slice(data, 2));
		// Part 3 on its way when the sweeper runs.
		await new D1SessionRepository(env.DB).arrive(id, 3);
		const report = await sweep(
			{ ...deps(), queries: new D1SweeperQueries(env.DB) },
			new Date(Date.now() + 5000),
		);
		expect(report.expiredSessions).toBe(1);
		expect((await image(id))?.status).toBe("killed");
		for (const table of ["upload_sessions", "upload_parts", "upload_part_arrivals"]) {
			const left = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE image_id = ?1`)
				.bind(id)
				.first<{ n: number }>();
			expect([table, left?.n]).toEqual([table, 0]);
		}
		// The part that was on its way lands after: refused, nothing kept.
		expect((await put(id, 3, slice(data, 3))).status).toBeGreaterThanOrEqual(400);
	});
});

afterEach(() => expectInvariants());
