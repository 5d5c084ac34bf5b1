// The R2 adapter against the local R2 bucket the worker is bound to (wrangler.toml's IMAGES),
// through the BlobStore interface only: what the upload, download and sweeper code relies on.
import { env } from "cloudflare:test";
import type { BlobStore } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { expectSameBytes, md5Hex, randomBytes } from "../helpers/bytes";

const MiB = 1024 * 1024;
/** R2's smallest part but the last. */
const PART = 5 * MiB;

const store = (): BlobStore => new R2BlobStore(env.IMAGES);
/** A key of its own for each test: the bucket is shared by the whole suite. */
const freshKey = (label = "blob") => `store-test/${label}/${crypto.randomUUID()}`;

/** `bytes` as a stream of known length, as put() is given one (a FixedLengthStream). */
function fixedStream(bytes: Uint8Array, declared = bytes.byteLength): ReadableStream<Uint8Array> {
	const { readable, writable } = new FixedLengthStream(declared);
	const writer = writable.getWriter();
	void writer
		.write(bytes)
		.then(() => writer.close())
		.catch(() => {});
	return readable;
}

/** A stream of known length that sends `before` bytes, then errors. */
function failingStream(length: number, before: number): ReadableStream<Uint8Array> {
	const { readable, writable } = new FixedLengthStream(length);
	const writer = writable.getWriter();
	void writer
		.write(randomBytes(before, 5))
		.then(() => writer.abort(new Error("connection reset by peer")))
		.catch(() => {});
	return readable;
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
	return new Uint8Array(await new Response(body).arrayBuffer());
}

async function contentOf(key: string): Promise<Uint8Array | null> {
	const blob = await store().get(key);
	return blob ? readAll(blob.body) : null;
}

describe("R2BlobStore put and get", () => {
	it("stores a stream and reports its size and MD5", async () => {
		const key = freshKey();
		const data = randomBytes(300_000, 1);
		const stored = await store().put(key, fixedStream(data), data.byteLength);
		expect(stored).toEqual({ size: data.byteLength, md5: await md5Hex(data) });
		const blob = await store().get(key);
		expect(blob?.size).toBe(data.byteLength);
		expectSameBytes(await readAll(blob?.body ?? new ReadableStream()), data);
	});

	it("stores bytes whose MD5 matches the one given", async () => {
		const key = freshKey();
		const data = randomBytes(1000, 2);
		const md5 = await md5Hex(data);
		expect(await store().put(key, fixedStream(data), data.byteLength, { md5 })).toEqual({
			size: 1000,
			md5,
		});
		expect(await contentOf(key)).toEqual(data);
	});

	it("rejects, storing nothing, when the bytes do not hash to the MD5 given", async () => {
		const key = freshKey();
		const data = randomBytes(1000, 3);
		await expect(
			store().put(key, fixedStream(data), data.byteLength, { md5: "0".repeat(32) }),
		).rejects.toThrow();
		expect(await store().get(key)).toBeNull();
	});

	it("rejects, storing nothing, when the stream ends early or errors", async () => {
		const short = freshKey("short");
		await expect(store().put(short, fixedStream(randomBytes(100, 4), 200), 200)).rejects.toThrow();
		expect(await store().get(short)).toBeNull();

		const broken = freshKey("broken");
		await expect(store().put(broken, failingStream(200_000, 64 * 1024), 200_000)).rejects.toThrow();
		expect(await store().get(broken)).toBeNull();
	});

	it("stores an empty object", async () => {
		const key = freshKey();
		const stored = await store().put(key, fixedStream(new Uint8Array(0)), 0);
		expect(stored.size).toBe(0);
		expect(await contentOf(key)).toEqual(new Uint8Array(0));
	});

	it("replaces an object written again under the same key", async () => {
		const key = freshKey();
		await store().put(key, fixedStream(randomBytes(500, 5)), 500);
		const second = randomBytes(200, 6);
		expect((await store().put(key, fixedStream(second), 200)).size).toBe(200);
		expect(await contentOf(key)).toEqual(second);
	});

	it("answers null for a key with no object", async () => {
		expect(await store().get(freshKey())).toBeNull();
		expect(await store().get(freshKey(), { offset: 0, length: 10 })).toBeNull();
	});
});

describe("R2BlobStore ranged get", () => {
	const data = randomBytes(10_000, 7);
	const key = freshKey("ranged");

	beforeAll(async () => {
		await store().put(key, fixedStream(data), data.byteLength);
	});

	it.each([
		[0, 100],
		[9990, 10],
		[5000, 5000],
		[0, 10_000],
		[1234, 1],
	])(
		"reads offset %d, length %d as that slice, reporting the whole size",
		async (offset, length) => {
			const blob = await store().get(key, { offset, length });
			expect(blob?.size).toBe(10_000);
			expect(await readAll(blob?.body ?? new ReadableStream())).toEqual(
				data.slice(offset, offset + length),
			);
		},
	);
});

describe("R2BlobStore delete", () => {
	it("removes the object, and removing a missing one is no error", async () => {
		const key = freshKey();
		await store().put(key, fixedStream(randomBytes(10, 8)), 10);
		await store().delete(key);
		expect(await store().get(key)).toBeNull();
		await expect(store().delete(key)).resolves.toBeUndefined();
		await expect(store().delete(freshKey())).resolves.toBeUndefined();
	});
});

describe("R2BlobStore list", () => {
	const prefix = `store-test/list-${crypto.randomUUID()}/`;
	const keys = Array.from({ length: 7 }, (_, i) => `${prefix}${String(i).padStart(2, "0")}`);

	beforeAll(async () => {
		for (const key of keys) await store().put(key, fixedStream(randomBytes(3, 9)), 3);
		// Outside the prefix: never listed.
		await store().put(`${prefix.slice(0, -1)}x`, fixedStream(randomBytes(3, 9)), 3);
	});

	it("pages through the keys under a prefix, in order, the last page with a null cursor", async () => {
		const pages: string[][] = [];
		let cursor: string | null = null;
		do {
			const page: { keys: string[]; cursor: string | null } = await store().list(prefix, cursor, 3);
			pages.push(page.keys);
			cursor = page.cursor;
		} while (cursor !== null && pages.length < 10);
		expect(pages).toEqual([keys.slice(0, 3), keys.slice(3, 6), keys.slice(6)]);
	});

	it("answers one page with a null cursor when everything fits", async () => {
		expect(await store().list(prefix, null, 100)).toEqual({ keys, cursor: null });
	});

	it("answers no keys for a prefix with nothing under it", async () => {
		expect(await store().list(`store-test/empty-${crypto.randomUUID()}/`, null, 10)).toEqual({
			keys: [],
			cursor: null,
		});
	});
});

describe("R2BlobStore multipart writes", () => {
	it("takes parts in any order and completes them into one object in part order", async () => {
		const key = freshKey("multipart");
		const data = randomBytes(2 * PART + 1000, 10);
		const write = await store().startMultipart(key);
		expect(write.uploadId).toEqual(expect.any(String));
		const second = await write.uploadPart(2, data.slice(PART, 2 * PART));
		const third = await write.uploadPart(3, data.slice(2 * PART));
		const first = await write.uploadPart(1, data.slice(0, PART));
		expect([first, second, third].map((p) => p.partNumber)).toEqual([1, 2, 3]);
		for (const part of [first, second, third]) expect(part.etag).toEqual(expect.any(String));
		// Not there until completed.
		expect(await store().get(key)).toBeNull();

		expect(await write.complete([first, second, third])).toEqual({
			size: data.byteLength,
			md5: null,
		});
		const blob = await store().get(key);
		expect(blob?.size).toBe(data.byteLength);
		expectSameBytes(await readAll(blob?.body ?? new ReadableStream()), data);
	});

	it("takes a part as a stream of known length", async () => {
		const key = freshKey("multipart-stream");
		const data = randomBytes(1000, 11);
		const write = await store().startMultipart(key);
		const part = await write.uploadPart(1, fixedStream(data));
		expect(await write.complete([part])).toEqual({ size: 1000, md5: null });
		expect(await contentOf(key)).toEqual(data);
	});

	it("continues a write from its upload id, as another instance would", async () => {
		const key = freshKey("resumed");
		const data = randomBytes(PART + 10, 12);
		const started = await store().startMultipart(key);
		const first = await started.uploadPart(1, data.slice(0, PART));

		const resumed = store().resumeMultipart(key, started.uploadId);
		expect(resumed.uploadId).toBe(started.uploadId);
		const last = await resumed.uploadPart(2, data.slice(PART));
		expect(await resumed.complete([first, last])).toEqual({ size: data.byteLength, md5: null });
		expectSameBytes((await contentOf(key)) ?? new Uint8Array(0), data);
	});

	it("leaves no object when aborted, and the aborted write cannot be completed", async () => {
		const key = freshKey("aborted");
		const write = await store().startMultipart(key);
		const part = await write.uploadPart(1, randomBytes(1000, 13));
		await write.abort();
		expect(await store().get(key)).toBeNull();
		await expect(store().resumeMultipart(key, write.uploadId).complete([part])).rejects.toThrow();
		expect(await store().get(key)).toBeNull();
	});

	it("refuses to complete with a part smaller than 5 MiB before the last", async () => {
		const key = freshKey("small-part");
		const write = await store().startMultipart(key);
		const parts = [
			await write.uploadPart(1, randomBytes(1000, 14)),
			await write.uploadPart(2, randomBytes(1000, 15)),
		];
		await expect(write.complete(parts)).rejects.toThrow();
		expect(await store().get(key)).toBeNull();
		await write.abort();
	});
});
