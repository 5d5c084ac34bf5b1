import type { BlobBody, BlobStore, ByteRange, StoredBlob } from "./blob-store";

function hex(buffer: ArrayBuffer): string {
	return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class R2BlobStore implements BlobStore {
	constructor(private readonly bucket: R2Bucket) {}

	async put(
		key: string,
		body: ReadableStream<Uint8Array>,
		length: number,
		options: { md5?: string } = {},
	): Promise<StoredBlob> {
		// R2 needs a stream of known length; FixedLengthStream gives one and errors on a short body.
		const sized = new FixedLengthStream(length);
		const piping = body.pipeTo(sized.writable);
		const [object] = await Promise.all([
			this.bucket.put(key, sized.readable, {
				httpMetadata: { contentType: "application/octet-stream" },
				...(options.md5 ? { md5: options.md5 } : {}),
			}),
			piping,
		]);
		const md5 = object.checksums.md5;
		return { size: object.size, md5: md5 ? hex(md5) : null };
	}

	async get(key: string, range?: ByteRange): Promise<BlobBody | null> {
		const object = await this.bucket.get(key, range ? { range } : undefined);
		if (!object) return null;
		return { body: object.body, size: object.size, ...(range ? { range } : {}) };
	}

	async delete(key: string): Promise<void> {
		await this.bucket.delete(key);
	}
}
