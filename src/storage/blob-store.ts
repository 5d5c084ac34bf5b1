/** What the store reports after bytes were written. */
export interface StoredBlob {
	size: number;
	/** Hex MD5 of the bytes when the store computed it (single-part objects), else null. */
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
}

export interface UploadedPart {
	partNumber: number;
	etag: string;
}

/** An object being written in parts; all parts but the last have the same size. */
export interface MultipartWrite {
	readonly uploadId: string;
	uploadPart(
		partNumber: number,
		bytes: Uint8Array | ReadableStream<Uint8Array>,
	): Promise<UploadedPart>;
	complete(parts: UploadedPart[]): Promise<StoredBlob>;
	abort(): Promise<void>;
}

/**
 * Image bytes in an object store. Every method streams: no image is ever held in memory.
 */
export interface BlobStore {
	/**
	 * Writes `body`, a stream of known length (a request body, or the readable side of a
	 * FixedLengthStream of `length` bytes), to `key`. Rejects, leaving no object, if the stream
	 * errors or ends early, or (when `md5` is given) the bytes do not hash to it.
	 */
	put(
		key: string,
		body: ReadableStream<Uint8Array>,
		length: number,
		options?: { md5?: string },
	): Promise<StoredBlob>;
	/** Starts writing `key` in parts. */
	startMultipart(key: string): Promise<MultipartWrite>;
	/** Continues a multipart write started earlier (possibly by another instance). */
	resumeMultipart(key: string, uploadId: string): MultipartWrite;
	/** One page of object keys under `prefix`, after `cursor`; `cursor` is null on the last page. */
	list(
		prefix: string,
		cursor: string | null,
		limit: number,
	): Promise<{ keys: string[]; cursor: string | null }>;
	/** The object (or `range` of it), or null when there is none. */
	get(key: string, range?: ByteRange): Promise<BlobBody | null>;
	/** The object's size, without reading it; null when there is none. */
	head(key: string): Promise<{ size: number } | null>;
	/** Removes the object; removing a missing object is not an error. */
	delete(key: string): Promise<void>;
}
