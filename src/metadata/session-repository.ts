import type { SessionPurpose } from "../domain/lifecycle";

export interface UploadSession {
	image_id: string;
	upload_id: string;
	size: number;
	part_size: number;
	part_count: number;
	checksum: string | null;
	os_hash_value: string | null;
	state: "open" | "verifying";
	created_at: string;
	expires_at: string;
}

export interface StoredPart {
	part_number: number;
	size: number;
	etag: string;
}

/**
 * Upload sessions in D1 (one per image at most). Opening reserves the whole size against the
 * owner's storage quota; every change is guarded so a session can't be both completed and
 * aborted, or get parts after it was closed.
 */
export interface SessionRepository {
	/**
	 * Opens a session for a queued image, reserving `session.size` bytes, in one batch, with the
	 * image's transition of the session's purpose (default: a v1 upload; a stage moves the image
	 * to uploading). "exists" when one is already open, "quota" over the quota, "conflict" when
	 * the image is not queued any more.
	 */
	open(
		session: UploadSession,
		quota: number,
		purpose?: SessionPurpose,
	): Promise<"opened" | "exists" | "quota" | "conflict">;
	find(imageId: string): Promise<UploadSession | null>;
	parts(imageId: string): Promise<StoredPart[]>;
	/**
	 * Records a part and moves the session's deadline; false when the session is no longer open
	 * or its image can no longer take data.
	 */
	savePart(imageId: string, part: StoredPart, expiresAt: string): Promise<boolean>;
	/**
	 * The purpose's completion (a v1 upload: queued → saving) and open → verifying together,
	 * starting a new attempt; its `upload_started_at`, or null when either guard failed.
	 */
	markCompleted(imageId: string, purpose?: SessionPurpose): Promise<string | null>;
	/**
	 * Removes the session and its parts, releasing the reservation unless the image is saving;
	 * the id of the multipart upload it held (for the caller to abort), null when there was none.
	 */
	close(imageId: string): Promise<string | null>;
	/** Open sessions whose deadline passed, oldest first. */
	expired(now: string, limit: number): Promise<UploadSession[]>;
}
