/** What the store reports after bytes were written. */
export interface StoredBlob {
	size: number;
	/** Hex MD5 of the bytes when the store knows it (single-part objects), else null. */
	md5: string | null;
}

export interface ByteRange {
	offset: number;
	length: number;
}

export interface BlobBody {
	body: ReadableStream<Uint8Array>;
	/** Size of the whole object. */
	size: number;
	/** The part of the object `body` holds, when a range was asked for. */
	range?: ByteRange;
}

/**
 * Image bytes in an object store. Every method streams: no image is ever held in memory.
 */
export interface BlobStore {
	/**
	 * Streams exactly `length` bytes to `key`. Rejects, leaving no object, if the stream ends
	 * early, errors, or (when `md5` is given) the bytes do not hash to it.
	 */
	put(
		key: string,
		body: ReadableStream<Uint8Array>,
		length: number,
		options?: { md5?: string },
	): Promise<StoredBlob>;
	/** The object (or the asked-for range of it), or null when there is none. */
	get(key: string, range?: ByteRange): Promise<BlobBody | null>;
	/** Removes the object; removing a missing object is not an error. */
	delete(key: string): Promise<void>;
}
