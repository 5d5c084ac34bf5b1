import type { BlobStore, MultipartWrite, UploadedPart } from "./blob-store";
import type { ResumableDigests } from "./resumable-digests";
import {
	ClientDisconnectedError,
	PartLengthError,
	pump,
	StoreWriteError,
	TooManyBytesError,
} from "./stream-to-store";

/**
 * Stores one part of exactly `length` bytes while feeding it to `digests`, from the same pull
 * loop (no tee: a lagging branch would buffer). A body of another length is a PartLengthError,
 * a hang-up a ClientDisconnectedError, the store failing a StoreWriteError; in every failure
 * the digests are to be thrown away, as they may have taken some of the bytes. `onHashed` is
 * called once every byte is fed, before the store has finished taking the part.
 */
export async function storeHashedPart(
	upload: MultipartWrite,
	partNumber: number,
	body: ReadableStream<Uint8Array>,
	length: number,
	digests: ResumableDigests,
	onHashed: () => void = () => {},
): Promise<UploadedPart> {
	const sized = new FixedLengthStream(length);
	const writer = sized.writable.getWriter();
	const storing = upload.uploadPart(partNumber, sized.readable);
	// Surfaces a failed write while the pump waits on a chunk the store will never take.
	const storeFailed = storing.then(
		() => new Promise<never>(() => {}),
		(err) => Promise.reject(new StoreWriteError(err)),
	);
	storeFailed.catch(() => {});
	let received = 0;
	try {
		await pump(
			body,
			async (chunk) => {
				if (received + chunk.byteLength > length) throw new TooManyBytesError(length);
				received += chunk.byteLength;
				// Before the write: the store may take ownership of the chunk's buffer.
				digests.update(chunk);
				// Settled writes are consumed (the store has copied the bytes): the buffer is free.
				await Promise.race([writer.write(chunk), storeFailed]);
			},
			{ reuse: true },
		);
		if (received < length) throw new ClientDisconnectedError(received);
		onHashed();
		await Promise.race([writer.close(), storeFailed]);
		return await storing;
	} catch (err) {
		writer.abort(err).catch(() => {});
		await storing.catch(() => {});
		if (err instanceof TooManyBytesError) throw new PartLengthError(length, err);
		if (err instanceof ClientDisconnectedError) {
			// A body that ended cleanly but short is the client's mistake, not a hang-up.
			throw err.cause === undefined ? new PartLengthError(length, err) : err;
		}
		throw err instanceof StoreWriteError ? err : new StoreWriteError(err);
	}
}

/**
 * Feeds `digests` the object's bytes from where they stand up to `end` (at most), by one ranged
 * read; the bytes fed. Reading is the store's business: its failures are errors to retry.
 */
export async function hashStoredRange(
	blobs: BlobStore,
	key: string,
	digests: ResumableDigests,
	end: number,
): Promise<number> {
	const offset = digests.bytes;
	if (end <= offset) return 0;
	const object = await blobs.get(key, { offset, length: end - offset });
	if (!object) throw new Error(`object ${key} disappeared while it was being hashed`);
	let fed = 0;
	try {
		fed = await pump(object.body, (chunk) => digests.update(chunk), { reuse: true });
	} catch (err) {
		throw err instanceof ClientDisconnectedError ? (err.cause ?? err) : err;
	}
	if (fed !== end - offset) {
		throw new Error(`read ${fed} bytes of ${key} at ${offset}, not ${end - offset}`);
	}
	return fed;
}
