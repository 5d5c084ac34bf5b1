import { env } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { hashStoredRange, storeHashedPart } from "../../src/storage/hashed-parts";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { ResumableDigests } from "../../src/storage/resumable-digests";
import { chunkedStream, expectSameBytes, randomBytes } from "../helpers/bytes";

const MiB = 1024 * 1024;

/**
 * The chunks the digests are fed. A reader given a spent chunk's buffer back takes it over
 * (a BYOB read detaches what it fills), so a chunk whose buffer is still attached afterwards
 * is memory left to the collector.
 */
function watched(digests: ResumableDigests): { attached: () => number; reads: () => number } {
	const chunks: Uint8Array[] = [];
	const update = digests.update.bind(digests);
	digests.update = (chunk) => {
		chunks.push(chunk);
		update(chunk);
	};
	return {
		attached: () => chunks.filter((c) => c.buffer.byteLength > 0).length,
		reads: () => chunks.length,
	};
}

const hex = (algorithm: "md5" | "sha512", data: Uint8Array) =>
	createHash(algorithm).update(data).digest("hex");

describe("hashed session parts", () => {
	it("store and hash every byte of a part through one read buffer, not a new one per read", async () => {
		const data = randomBytes(6 * MiB + 123, 61);
		const blobs = new R2BlobStore(env.IMAGES);
		const upload = await blobs.startMultipart("hashed-part-probe");
		const digests = ResumableDigests.start();
		const chunks = watched(digests);
		const part = await storeHashedPart(
			upload,
			1,
			chunkedStream(data, 256 * 1024, "bytes"),
			data.byteLength,
			digests,
		);
		await upload.complete([part]);
		// The bytes read into a reused buffer are the bytes stored: each write was taken first.
		const stored = await blobs.get("hashed-part-probe");
		expectSameBytes(new Uint8Array(await new Response(stored?.body).arrayBuffer()), data);
		expect(digests.finish()).toEqual({ md5: hex("md5", data), sha512: hex("sha512", data) });
		// Each read went into the buffer of the one before, and the last back to the reader.
		expect(chunks.reads()).toBeGreaterThan(5);
		expect(chunks.attached()).toBe(0);
	});

	it("hash a stored range through one read buffer", async () => {
		const data = randomBytes(5 * MiB + 9, 62);
		await env.IMAGES.put("hashed-range-probe", data);
		const digests = ResumableDigests.start();
		const chunks = watched(digests);
		const blobs = new R2BlobStore(env.IMAGES);
		expect(await hashStoredRange(blobs, "hashed-range-probe", digests, data.byteLength)).toBe(
			data.byteLength,
		);
		expect(digests.finish()).toEqual({ md5: hex("md5", data), sha512: hex("sha512", data) });
		expect(chunks.reads()).toBeGreaterThan(5);
		expect(chunks.attached()).toBe(0);
	});
});
