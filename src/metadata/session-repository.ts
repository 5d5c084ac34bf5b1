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

/** A stored part as completion sees it: whether it is in the chain of hashed parts. */
export interface PartRecord extends StoredPart {
	/** Its digests' state covers parts 1..n (it was hashed in order, and nothing before changed). */
	hashed: boolean;
	/** Changes with every write of the part. */
	hash_token: string | null;
}

/** What a part about to be stored knows of its predecessor. */
export interface Predecessor {
	/** The session is still open. */
	open: boolean;
	/** The predecessor is stored. */
	stored: boolean;
	/** Its saved digests' state (parts 1..n-1), when it is in the chain; with its token. */
	hashState: string | null;
	hashToken: string | null;
	/** When a request storing it started, if one is under way or failed lately. */
	arrivingSince: string | null;
	/** When that request failed, if it did. */
	failedAt: string | null;
	/**
	 * The parts around it come in order: the part before the predecessor is stored or on its way
	 * (or there is none), and no part after the asking one is stored yet.
	 */
	inOrder: boolean;
}

/** How a stored part continues the digests: the state after it, and the predecessor read. */
export interface PartHash {
	state: string;
	/** The predecessor's token the state continued from; null for part 1. */
	after: string | null;
}

/** The last part of the run 1..c hashed in order, and the bytes that run covers. */
export interface HashChainEnd {
	partNumber: number;
	token: string;
	bytes: number;
}

/** The digests of a completed session so far: `state` covers the first `bytes` bytes. */
export interface HashProgress {
	bytes: number;
	state: string | null;
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
	parts(imageId: string): Promise<PartRecord[]>;
	/** Marks part `n` as being received (replacing an earlier mark); the mark's token. */
	arrive(imageId: string, n: number): Promise<string>;
	/**
	 * Notes on the mark, if it is still the one `token` names, that its request failed: a
	 * successor waits a little for the part to be sent again. A new arrival clears it.
	 */
	fail(imageId: string, n: number, token: string): Promise<void>;
	/** What part `n` needs to know of part `n - 1` to continue the digests. */
	predecessor(imageId: string, n: number): Promise<Predecessor>;
	/**
	 * Records a part, clears its arrival mark and moves the session's deadline, in one batch.
	 * With `hash`, the part joins the chain only if the predecessor still carries `hash.after`
	 * (else it is stored unhashed); every later part leaves the chain, since its state went
	 * through the part's earlier bytes, unless the part came again with the same digests'
	 * state (the same bytes: it keeps its token). False when the session is no longer open or
	 * its image can no longer take data. `token` becomes the part's hash token otherwise.
	 */
	savePart(
		imageId: string,
		part: StoredPart,
		expiresAt: string,
		hash: PartHash | null,
		arrival: string,
		token: string,
	): Promise<boolean>;
	/**
	 * The purpose's completion (a v1 upload: queued → saving) and open → verifying together,
	 * starting a new attempt, taking the digests' state of the chain's last part (`chain`, if it
	 * still carries that token) as the session's progress, and the digests `declared` now where
	 * the session declared none; its `upload_started_at`, or null when either guard failed.
	 */
	markCompleted(
		imageId: string,
		chain: HashChainEnd | null,
		declared?: { checksum?: string; os_hash_value?: string },
		purpose?: SessionPurpose,
	): Promise<string | null>;
	/** The digests' progress of a session being verified; null when none is. */
	progress(imageId: string): Promise<HashProgress | null>;
	/** Moves the progress from `from` bytes on to `to`; false when another verifier moved it. */
	advance(imageId: string, from: number, to: number, state: string): Promise<boolean>;
	/**
	 * Removes the session and its parts, releasing the reservation unless the image is saving;
	 * the id of the multipart upload it held (for the caller to abort), null when there was none.
	 */
	close(imageId: string): Promise<string | null>;
	/** Open sessions whose deadline passed, oldest first. */
	expired(now: string, limit: number): Promise<UploadSession[]>;
}
