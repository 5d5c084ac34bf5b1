import {
	type ContentPolicy,
	type ContentVerdict,
	type DeclaredFormats,
	HEAD_WINDOW,
	type ImageWindows,
	judgeContent,
	regionsToCapture,
	TAIL_WINDOW,
} from "../inspection";
import type { BlobStore } from "../storage/blob-store";

/**
 * Captures a stored object's windows by ranged reads: the head, the regions it points to and
 * the tail; a handful of small reads whatever the object's size. Null when there is no object.
 */
export async function captureStoredWindows(
	blobs: BlobStore,
	key: string,
): Promise<ImageWindows | null> {
	// The size first, so every read is a range inside the object (R2 refuses a range past the
	// end), and no read opens the whole object only to cancel it after its head: that starts a
	// read of gigabytes, and under wrangler dev the simulator's cancelled pumps were followed by
	// dropped connections on later uploads.
	const stat = await blobs.head(key);
	if (!stat) return null;
	const size = stat.size;
	const read = async (offset: number, length: number): Promise<Uint8Array> => {
		if (length === 0) return new Uint8Array(0);
		const part = await blobs.get(key, { offset, length });
		if (!part) throw new Error(`object ${key} disappeared while it was being inspected`);
		return readAtMost(part.body, length);
	};
	const head = await read(0, Math.min(size, HEAD_WINDOW));
	const regions: ImageWindows["regions"][number][] = [];
	for (const r of regionsToCapture(head)) {
		if (r.offset >= size) continue;
		regions.push({
			offset: r.offset,
			bytes: await read(r.offset, Math.min(r.length, size - r.offset)),
		});
	}
	const tailLength = Math.min(size, TAIL_WINDOW);
	const tail =
		size <= head.byteLength
			? head.subarray(size - tailLength)
			: await read(size - tailLength, tailLength);
	return { size, head, tail, regions };
}

/**
 * Runs the content check on an already stored object (the upload-session verifier's entry):
 * the same verdict an upload gets, from ranged reads. Null when there is no object.
 */
export async function inspectStoredObject(
	blobs: BlobStore,
	key: string,
	declared: DeclaredFormats,
	policy: ContentPolicy,
): Promise<ContentVerdict | null> {
	const windows = await captureStoredWindows(blobs, key);
	return windows ? judgeContent(windows, declared, policy) : null;
}

/** Reads a stream into a buffer of at most `max` bytes, cancelling whatever is left. */
async function readAtMost(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
	const out = new Uint8Array(max);
	let filled = 0;
	const reader = body.getReader();
	try {
		while (filled < max) {
			const { done, value } = await reader.read();
			if (done) break;
			const n = Math.min(value.byteLength, max - filled);
			out.set(value.subarray(0, n), filled);
			filled += n;
		}
	} finally {
		await reader.cancel().catch(() => {});
	}
	return out.subarray(0, filled);
}
