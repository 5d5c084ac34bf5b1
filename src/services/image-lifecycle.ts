import { MESSAGES, SESSION_MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import { glanceTimestamp, type StoredImage } from "../domain/image";
import { isDead, type TransitionName } from "../domain/lifecycle";
import { conflict, type Refusal, tooLarge } from "../domain/refusal";
import type { ImageRepository, Transitioned } from "../metadata/image-repository";
import type {
	HashChainEnd,
	SessionRepository,
	UploadSession,
} from "../metadata/session-repository";
import type { BlobStore } from "../storage/blob-store";
import type { StreamedBytes } from "../storage/stream-to-store";

export interface LifecycleDeps {
	images: ImageRepository;
	sessions: SessionRepository;
	blobs: BlobStore;
}

/** What the bytes of an upload turned out to be. */
export interface VerifiedBytes extends StreamedBytes {
	virtualSize: number | null;
	/** The format content inspection found, kept so later format changes meet the same rule. */
	detectedFormat: string | null;
}

function log(level: "info" | "error", msg: string, fields: Record<string, unknown>): void {
	const line = JSON.stringify({ level, msg, ...fields });
	if (level === "error") console.error(line);
	else console.info(line);
}

/**
 * Removes what an image's upload left in the store: the object and any multipart upload. Only
 * the transition that made the image dead calls this (or a writer that finds its image dead
 * after its bytes landed), so the bytes of a live image are never touched. Failures are logged:
 * the sweeper removes objects of dead images that are left behind.
 */
async function discardBytes(
	deps: LifecycleDeps,
	image: StoredImage,
	uploadId: string | null,
): Promise<void> {
	if (uploadId) await abortMultipart(deps, image, uploadId);
	try {
		await deps.blobs.delete(image.object_key);
	} catch (err) {
		log("error", "could not remove image bytes; the sweeper will", {
			image_id: image.id,
			error: String(err),
		});
	}
}

async function abortMultipart(
	deps: LifecycleDeps,
	image: StoredImage,
	uploadId: string,
): Promise<void> {
	try {
		await deps.blobs.resumeMultipart(image.object_key, uploadId).abort();
	} catch (err) {
		log("error", "could not abort a multipart upload", { image_id: image.id, error: String(err) });
	}
}

/**
 * The single owner of every end of an upload: start, activate, kill (with a reason), expire,
 * abandon a session, delete; and of Glance v2's stage and import: stage, staged, import, unstage. Each end is one guarded transition (domain/lifecycle.ts) that
 * also settles the quota reservation and closes the upload session in the same batch; bytes
 * are removed only when that transition took effect.
 */
export class ImageLifecycle {
	constructor(private readonly deps: LifecycleDeps) {}

	/**
	 * queued → saving for a single-request upload, reserving `bytes`. Refused while an upload
	 * session owns the image's data, or when the image is no longer queued.
	 */
	async beginUpload(image: StoredImage, bytes: number, quota: number): Promise<StoredImage> {
		const started = await this.deps.images.startUpload(image.id, bytes, quota);
		if (started === "session") throw conflict(SESSION_MESSAGES.sessionOwnsData(image.id));
		if (started === "conflict") throw conflict(MESSAGES.unqueued);
		if (started === "quota") throw await this.quotaRefusal(image, bytes, quota);
		return started;
	}

	/** 413 naming the quota, what is in use and what this upload needed. */
	async quotaRefusal(
		image: StoredImage,
		needed: number,
		quota: number,
		field?: string,
	): Promise<Refusal> {
		const used = image.owner === null ? 0 : await this.deps.images.storageUsed(image.owner);
		return tooLarge(MESSAGES.storageQuota(quota, used, needed), field);
	}

	/**
	 * saving → active with what the bytes turned out to be; the reservation becomes the size and
	 * the session (a verified one) closes. Null when the image is no longer saving: then its
	 * bytes were written after whoever moved it removed them, and they go if it is dead.
	 */
	async activate(
		image: StoredImage,
		bytes: VerifiedBytes,
		via: "finishUpload" | "finishImport" = "finishUpload",
	): Promise<StoredImage | null> {
		const changes = {
			size: bytes.size,
			checksum: bytes.md5,
			os_hash_algo: "sha512",
			os_hash_value: bytes.sha512,
			status_reason: null,
			detected_format: bytes.detectedFormat,
			...(bytes.virtualSize !== null ? { virtual_size: bytes.virtualSize } : {}),
		};
		// An import ends only the attempt it verified (the image may have been requeued and
		// imported again meanwhile).
		const options = via === "finishImport" ? { attempt: image.upload_started_at } : {};
		const applied = await this.deps.images.apply(via, image.id, changes, options);
		if (applied) return applied.image;
		await this.discardIfDead(image);
		return null;
	}

	/**
	 * queued → uploading for a stage (Glance v2's `PUT …/stage`), reserving `bytes`; refused
	 * like `beginUpload`.
	 */
	async beginStage(image: StoredImage, bytes: number, quota: number): Promise<StoredImage> {
		const started = await this.deps.images.startUpload(image.id, bytes, quota, "stage");
		if (started === "session") throw conflict(SESSION_MESSAGES.sessionOwnsData(image.id));
		if (started === "conflict") {
			const now = await this.deps.images.find(image.id, null);
			throw conflict(V2_MESSAGES.stageNotQueued(now?.image.status ?? image.status));
		}
		if (started === "quota") throw await this.quotaRefusal(image, bytes, quota);
		return started;
	}

	/**
	 * queued → uploading for a staging session (Glance v2's stage, in parts), reserving the
	 * session's size in the same batch; the outcome as `SessionRepository.open` tells it.
	 */
	openStagingSession(session: UploadSession, quota: number) {
		return this.deps.sessions.open(session, quota, "stage");
	}

	/**
	 * Every part of a staging session is stored: the session takes no more parts and a new
	 * attempt starts, keeping the digests' state of the parts hashed in order (`chain`) for the
	 * import's verifier; its stamp, or null when the guard did not hold. `staged` records the
	 * size once the store has assembled the parts.
	 */
	completeStaging(
		image: StoredImage,
		chain: HashChainEnd | null,
		declared: { checksum?: string; os_hash_value?: string } = {},
	): Promise<string | null> {
		return this.deps.sessions.markCompleted(image.id, chain, declared, "stage");
	}

	/**
	 * Every byte of the stage is stored: the image keeps uploading with its size, and the
	 * reservation is exactly that size. Null when the stage was ended meanwhile (deleted, or
	 * given up on by the sweeper); the bytes written go if the image is dead.
	 */
	async staged(image: StoredImage, size: number): Promise<StoredImage | null> {
		const applied = await this.deps.images.apply(
			"staged",
			image.id,
			{ size, reserved_bytes: size },
			{ attempt: image.upload_started_at },
		);
		if (applied) return applied.image;
		await this.discardIfDead(image);
		return null;
	}

	/**
	 * uploading → importing (glance-direct), when the staging is complete; a new import task id
	 * and attempt. Null when the guard did not hold.
	 */
	async beginImport(image: StoredImage): Promise<StoredImage | null> {
		const applied = await this.deps.images.startImport(image.id, {
			upload_started_at: glanceTimestamp(),
			import_task_id: crypto.randomUUID(),
			status_reason: null,
		});
		return applied?.image ?? null;
	}

	/**
	 * A stage or an import failed, or was given up on: the image is queued again with the reason
	 * recorded (Glance's import revert), then the attempt's bytes go. In that order: until the
	 * transition took effect the bytes may still become an active image's; after it, a new stage
	 * of the same image cannot have finished writing before they are removed. False when the
	 * attempt had already ended.
	 */
	async unstage(image: StoredImage, reason: string): Promise<boolean> {
		let applied: Transitioned | null;
		try {
			applied = await this.deps.images.apply(
				"unstage",
				image.id,
				{
					status_reason: reason,
					size: null,
					virtual_size: null,
					os_hash_algo: null,
					os_hash_value: null,
					detected_format: null,
				},
				{ attempt: image.upload_started_at },
			);
		} catch (err) {
			// Never mask the failure that led here; the sweeper requeues what stays stuck.
			log("error", "could not requeue image", { image_id: image.id, error: String(err) });
			return false;
		}
		if (applied) await discardBytes(this.deps, image, applied.closedUploadId);
		else await this.discardIfDead(image);
		return applied !== null;
	}

	/** An upload failed: killed with the reason recorded, its bytes removed (Glance's safe_kill). */
	kill(image: StoredImage, reason: string): Promise<boolean> {
		return this.end("kill", image, reason);
	}

	/**
	 * A v2 upload failed: its bytes go first (the image is still saving, so only this upload
	 * wrote them), then the image is queued again with no size or checksums (Glance v2's
	 * `_restore`). False when the image was no longer saving.
	 */
	async restore(image: StoredImage, reason: string): Promise<boolean> {
		await discardBytes(this.deps, image, null);
		try {
			const applied = await this.deps.images.apply("restore", image.id, {
				status_reason: reason,
				size: null,
				virtual_size: null,
				checksum: null,
				os_hash_algo: null,
				os_hash_value: null,
				upload_started_at: null,
				detected_format: null,
			});
			return applied !== null;
		} catch (err) {
			log("error", "could not requeue image", { image_id: image.id, error: String(err) });
			return false;
		}
	}

	/** The sweeper's kill of a session past its deadline or an upload that stalled. */
	expire(image: StoredImage, reason: string): Promise<boolean> {
		return this.end("expire", image, reason);
	}

	/**
	 * The client gave up on its session: the parts go, the image stays queued. Also how the
	 * sweeper closes a session its image outlived (left by an older version of this service):
	 * only the session's parts go, never the image's object.
	 */
	async abandonSession(image: StoredImage): Promise<void> {
		const uploadId = await this.deps.sessions.close(image.id);
		if (uploadId) await abortMultipart(this.deps, image, uploadId);
	}

	/** The image becomes a tombstone, then its bytes go. Null when the guard did not hold. */
	async delete(image: StoredImage): Promise<Transitioned | null> {
		const tombstone = await this.deps.images.markDeleted(image.id);
		if (tombstone) await discardBytes(this.deps, image, tombstone.closedUploadId);
		return tombstone;
	}

	private async end(name: TransitionName, image: StoredImage, reason: string): Promise<boolean> {
		let applied: Transitioned | null;
		try {
			applied = await this.deps.images.apply(name, image.id, { status_reason: reason });
		} catch (err) {
			// Never mask the failure that led here; the sweeper kills what stays saving.
			log("error", "could not kill image", { image_id: image.id, error: String(err) });
			return false;
		}
		if (applied) await discardBytes(this.deps, image, applied.closedUploadId);
		else await this.discardIfDead(image);
		return applied !== null;
	}

	/** Bytes written after the image died are garbage: remove them if it is dead now. */
	private async discardIfDead(image: StoredImage): Promise<void> {
		const now = await this.deps.images.find(image.id, null);
		if (!now || isDead(now.image.status)) await discardBytes(this.deps, image, null);
	}
}
