import { toHex } from "../lib/hex";
import type {
	BlobBody,
	BlobStore,
	ByteRange,
	MultipartWrite,
	StoredBlob,
	UploadedPart,
} from "./blob-store";

const HTTP_METADATA = { contentType: "application/octet-stream" };

export class R2BlobStore implements BlobStore {
	constructor(private readonly bucket: R2Bucket) {}

	async put(
		key: string,
		body: ReadableStream<Uint8Array>,
		_length: number,
		options: { md5?: string } = {},
	): Promise<StoredBlob> {
		const object = await this.bucket.put(key, body, {
			httpMetadata: HTTP_METADATA,
			...(options.md5 ? { md5: options.md5 } : {}),
		});
		const md5 = object.checksums.md5;
		return { size: object.size, md5: md5 ? toHex(md5) : null };
	}

	async startMultipart(key: string): Promise<MultipartWrite> {
		const upload = await this.bucket.createMultipartUpload(key, { httpMetadata: HTTP_METADATA });
		return new R2MultipartWrite(upload);
	}

	resumeMultipart(key: string, uploadId: string): MultipartWrite {
		return new R2MultipartWrite(this.bucket.resumeMultipartUpload(key, uploadId));
	}

	async list(
		prefix: string,
		cursor: string | null,
		limit: number,
	): Promise<{ keys: string[]; cursor: string | null }> {
		const page = await this.bucket.list({ prefix, limit, ...(cursor ? { cursor } : {}) });
		return { keys: page.objects.map((o) => o.key), cursor: page.truncated ? page.cursor : null };
	}

	async get(key: string, range?: ByteRange): Promise<BlobBody | null> {
		const object = await this.bucket.get(key, range ? { range } : undefined);
		if (!object) return null;
		return { body: object.body, size: object.size };
	}

	async head(key: string): Promise<{ size: number } | null> {
		const object = await this.bucket.head(key);
		return object ? { size: object.size } : null;
	}

	async delete(key: string): Promise<void> {
		await this.bucket.delete(key);
	}
}

class R2MultipartWrite implements MultipartWrite {
	constructor(private readonly upload: R2MultipartUpload) {}

	get uploadId(): string {
		return this.upload.uploadId;
	}

	async uploadPart(
		partNumber: number,
		bytes: Uint8Array | ReadableStream<Uint8Array>,
	): Promise<UploadedPart> {
		const part = await this.upload.uploadPart(partNumber, bytes);
		return { partNumber: part.partNumber, etag: part.etag };
	}

	async complete(parts: UploadedPart[]): Promise<StoredBlob> {
		const object = await this.upload.complete(parts);
		return { size: object.size, md5: null };
	}

	async abort(): Promise<void> {
		await this.upload.abort();
	}
}
