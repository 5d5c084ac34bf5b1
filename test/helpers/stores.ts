import { env } from "cloudflare:workers";
import type { BlobStore, MultipartWrite } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";

/** What a test replaces of the store: whole calls, or the part writes of a multipart upload. */
export interface StoreChanges {
	put?: BlobStore["put"];
	get?: BlobStore["get"];
	/** Given each multipart upload as R2 has it, the part writes to use instead. */
	uploadPart?: (inner: MultipartWrite) => MultipartWrite["uploadPart"];
}

/** The test bindings' R2 store with some of its calls replaced, as an app's `blobStore` dep. */
export function storeWith(changes: StoreChanges): () => BlobStore {
	return () => {
		const store = new R2BlobStore(env.IMAGES);
		const wrap = (write: MultipartWrite): MultipartWrite => ({
			uploadId: write.uploadId,
			uploadPart: changes.uploadPart?.(write) ?? ((n, bytes) => write.uploadPart(n, bytes)),
			complete: (parts) => write.complete(parts),
			abort: () => write.abort(),
		});
		return {
			put: changes.put ?? ((...args) => store.put(...args)),
			get: changes.get ?? ((...args) => store.get(...args)),
			head: (key) => store.head(key),
			startMultipart: async (key) => wrap(await store.startMultipart(key)),
			resumeMultipart: (key, uploadId) => wrap(store.resumeMultipart(key, uploadId)),
			list: (...args) => store.list(...args),
			delete: (key) => store.delete(key),
		};
	};
}

/** A store whose single-object writes fail after their first chunk, as R2 can mid-stream. */
export function putFailingMidway(): () => BlobStore {
	return storeWith({
		async put(_key, body) {
			const reader = body.getReader();
			await reader.read();
			await reader.cancel();
			throw new Error("R2 internal error");
		},
	});
}
