import { env } from "cloudflare:workers";
import { IMAGE_KEY_PREFIX, imageIdOfKey, objectKeyFor } from "../../src/domain/image";
import { HOLDING_BYTES, STAGING, TAKING_DATA } from "../../src/domain/lifecycle";
import type { BlobStore, MultipartWrite } from "../../src/storage/blob-store";
import { R2BlobStore } from "../../src/storage/r2-blob-store";

/**
 * A blob store that remembers every multipart upload it started and how each ended, so a test
 * can check that none is left open without a session (R2's binding cannot list them).
 */
export class TrackingBlobStore implements BlobStore {
	readonly started = new Set<string>();
	readonly ended = new Set<string>();
	private readonly inner: BlobStore;

	constructor(inner: BlobStore = new R2BlobStore(env.IMAGES)) {
		this.inner = inner;
	}

	put: BlobStore["put"] = (...args) => this.inner.put(...args);
	list: BlobStore["list"] = (...args) => this.inner.list(...args);
	get: BlobStore["get"] = (...args) => this.inner.get(...args);
	head: BlobStore["head"] = (...args) => this.inner.head(...args);
	delete: BlobStore["delete"] = (...args) => this.inner.delete(...args);

	async startMultipart(key: string): Promise<MultipartWrite> {
		const write = this.track(await this.inner.startMultipart(key));
		this.started.add(write.uploadId);
		return write;
	}

	resumeMultipart(key: string, uploadId: string): MultipartWrite {
		return this.track(this.inner.resumeMultipart(key, uploadId));
	}

	private track(write: MultipartWrite): MultipartWrite {
		return {
			uploadId: write.uploadId,
			uploadPart: (n, bytes) => write.uploadPart(n, bytes),
			complete: async (parts) => {
				const done = await write.complete(parts);
				this.ended.add(write.uploadId);
				return done;
			},
			abort: async () => {
				await write.abort();
				this.ended.add(write.uploadId);
			},
		};
	}
}

interface Row {
	id: string;
	status: string;
	size: number | null;
	reserved_bytes: number;
}

/**
 * What must hold between requests, whatever raced or failed: every stored image has its bytes,
 * every object has a live image, every reservation and session belongs to an image that is
 * taking data, and (given the tracking store) every multipart upload is finished or owned by a
 * session. Returns the violations, so a failing test says what broke.
 */
export async function invariantViolations(tracker?: TrackingBlobStore): Promise<string[]> {
	const problems: string[] = [];
	const { results: images } = await env.DB.prepare(
		"SELECT id, status, size, reserved_bytes FROM images",
	).all<Row>();
	const byId = new Map(images.map((row) => [row.id, row]));
	const holding = new Set<string>(HOLDING_BYTES);
	const taking = new Set<string>(TAKING_DATA);

	for (const row of images) {
		if (holding.has(row.status) && (row.size ?? 0) > 0) {
			const object = await env.IMAGES.head(objectKeyFor(row.id));
			if (!object) problems.push(`${row.status} image ${row.id} has no object`);
			else if (object.size !== row.size) {
				problems.push(
					`${row.status} image ${row.id} is ${row.size} bytes, its object ${object.size}`,
				);
			}
		}
		if (row.reserved_bytes !== 0 && !taking.has(row.status)) {
			problems.push(`${row.status} image ${row.id} still reserves ${row.reserved_bytes} bytes`);
		}
	}

	let cursor: string | undefined;
	do {
		const page = await env.IMAGES.list({ prefix: IMAGE_KEY_PREFIX, cursor });
		for (const object of page.objects) {
			const row = byId.get(imageIdOfKey(object.key));
			// Staged data (Glance v2's uploading, importing) waits in the image's object too.
			const staging = (STAGING as readonly string[]).includes(row?.status ?? "");
			const live = row && (holding.has(row.status) || row.status === "saving" || staging);
			if (!live) problems.push(`object ${object.key} belongs to no live image (${row?.status})`);
		}
		cursor = page.truncated ? page.cursor : undefined;
	} while (cursor);

	const { results: sessions } = await env.DB.prepare(
		"SELECT image_id, upload_id FROM upload_sessions",
	).all<{ image_id: string; upload_id: string }>();
	for (const session of sessions) {
		const status = byId.get(session.image_id)?.status;
		if (!status || !taking.has(status)) {
			problems.push(`session of image ${session.image_id} outlived it (${status})`);
		}
	}
	if (tracker) {
		const owned = new Set(sessions.map((s) => s.upload_id));
		for (const id of tracker.started) {
			if (!tracker.ended.has(id) && !owned.has(id)) {
				problems.push(`multipart upload ${id} is open without a session`);
			}
		}
	}
	return problems;
}

/** Fails the test with every violation found. */
export async function expectInvariants(tracker?: TrackingBlobStore): Promise<void> {
	expect(await invariantViolations(tracker)).toEqual([]);
}
