import { env } from "cloudflare:workers";
import { createHash } from "node:crypto";
import type { BlobStore } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { streamKnownLength, streamUnknownLength } from "../../src/storage/stream-to-store";
import { chunkedStream, expectSameBytes, randomBytes } from "../helpers/bytes";
import { storeWith } from "../helpers/stores";

const MiB = 1024 * 1024;
const PART = 5 * MiB;

/** R2 through the real store, with every part handed to a multipart upload kept for a look. */
function recordingStore(): { blobs: BlobStore; parts: Uint8Array[] } {
	const parts: Uint8Array[] = [];
	const blobs = storeWith({
		uploadPart: (inner) => (partNumber, bytes) => {
			if (bytes instanceof Uint8Array) parts.push(bytes);
			return inner.uploadPart(partNumber, bytes);
		},
	})();
	return { blobs, parts };
}

const hex = (algorithm: "md5" | "sha512", data: Uint8Array) =>
	createHash(algorithm).update(data).digest("hex");

/** The upload reported `data`'s size and digests, and `key` holds exactly `data` (then goes). */
async function expectStored(
	blobs: BlobStore,
	key: string,
	stored: { size: number; md5: string; sha512: string },
	data: Uint8Array,
): Promise<void> {
	expect(stored).toEqual({
		size: data.byteLength,
		md5: hex("md5", data),
		sha512: hex("sha512", data),
	});
	const object = await blobs.get(key);
	expectSameBytes(new Uint8Array(await new Response(object?.body).arrayBuffer()), data);
	await blobs.delete(key);
}

describe("an upload of unknown length", () => {
	it("fills each part into the buffer of a part already stored, not a new one per part", async () => {
		const data = randomBytes(6 * PART + 321, 71);
		const { blobs, parts } = recordingStore();
		const stored = await streamUnknownLength(
			blobs,
			"unknown-length-probe",
			chunkedStream(data, 256 * 1024, "bytes"),
			PART,
			Number.MAX_SAFE_INTEGER,
		);
		// Reused only once the store had taken it: the bytes stored are the bytes sent.
		await expectStored(blobs, "unknown-length-probe", stored, data);
		// Seven parts went up. A part's buffer that took a later part's bytes was detached by
		// that read; only the last two (the one read into last and the short tail) are not.
		expect(parts).toHaveLength(7);
		expect(parts.filter((p) => p.buffer.byteLength > 0).length).toBeLessThanOrEqual(2);
	});
});

describe("an upload of known length", () => {
	it("reads every chunk into the buffer of the one before, once the store has taken it", async () => {
		const data = randomBytes(6 * MiB + 77, 72);
		const blobs = new R2BlobStore(env.IMAGES);
		const chunks: Uint8Array[] = [];
		const stored = await streamKnownLength(
			blobs,
			"known-length-probe",
			chunkedStream(data, 256 * 1024, "bytes"),
			data.byteLength,
			{ take: (chunk) => chunks.push(chunk) },
		);
		await expectStored(blobs, "known-length-probe", stored, data);
		// A chunk whose buffer is still attached is a buffer left to the collector.
		expect(chunks.length).toBeGreaterThan(5);
		expect(chunks.filter((c) => c.buffer.byteLength > 0)).toHaveLength(0);
	});
});
