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
	// Unranged: a range past the end of a small or empty object is an error in R2. Only the
	// head is read; the rest of the body is cancelled.
	const first = await blobs.get(key);
	if (!first) return null;
	const size = first.size;
	const head = await readAtMost(first.body, Math.min(size, HEAD_WINDOW));
	const read = async (offset: number, length: number): Promise<Uint8Array> => {
		const part = await blobs.get(key, { offset, length });
		if (!part) throw new Error(`object ${key} disappeared while it was being inspected`);
		return readAtMost(part.body, length);
	};
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
