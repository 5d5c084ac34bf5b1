import type { Config } from "../config";
import { MAX_PARTS, MESSAGES, TRANSITIONS } from "../domain/glance-rules";
import type { StoredImage } from "../domain/image";
import { checkDeclaredSize } from "../domain/validate-image-meta";
import { ApiError, badRequest, conflict, payloadTooLarge } from "../errors";
import { judgeContent, WindowCapture } from "../inspection";
import type { ImageRepository } from "../metadata/image-repository";
import type { BlobStore } from "../storage/blob-store";
import {
	type ChunkTap,
	ClientDisconnectedError,
	StoreWriteError,
	type StreamedBytes,
	StreamLimitError,
	streamKnownLength,
	streamUnknownLength,
	TooManyBytesError,
} from "./stream-to-store";

const MD5_HEX = /^[0-9a-f]{32}$/;

export interface UploadDeps {
	images: ImageRepository;
	blobs: BlobStore;
	config: Config;
}

/** What is known about a body before its first byte is read. */
export interface UploadPlan {
	/** Exact length (Content-Length, else a declared non-zero size), or null when unknown. */
	length: number | null;
	/** A non-zero size the client declared, to compare with what arrives. */
	declaredSize: number | null;
	/** An MD5 the client declared, to compare with what arrives. */
	declaredChecksum: string | null;
}

/**
 * Checks everything about an upload that can be checked before any write (contract §5.2, §7):
 * the declared sizes against the cap, the request limit, and each other.
 */
export function planUpload(
	request: Request,
	declared: { size?: number | null; checksum?: string | null },
	config: Config,
	fieldName: (field: string) => string,
): UploadPlan {
	const lengthHeader = request.headers.get("content-length");
	const contentLength = lengthHeader === null ? null : Number(lengthHeader);
	const declaredSize = declared.size ? declared.size : null;
	checkDeclaredSize(contentLength, config.imageSizeCap, "Content-Length");
	checkDeclaredSize(declaredSize, config.imageSizeCap, fieldName("size"));
	if (
		config.maxRequestBytes > 0 &&
		contentLength !== null &&
		contentLength > config.maxRequestBytes
	) {
		throw payloadTooLarge(MESSAGES.requestTooLarge(config.maxRequestBytes), "Content-Length");
	}
	// A chunked body is read to its declared size (glanceclient sends files this way): a size over
	// the limit would carry the body past it.
	if (
		config.maxRequestBytes > 0 &&
		contentLength === null &&
		declaredSize !== null &&
		declaredSize > config.maxRequestBytes
	) {
		throw payloadTooLarge(MESSAGES.requestTooLarge(config.maxRequestBytes), fieldName("size"));
	}
	if (contentLength !== null && declaredSize !== null && contentLength !== declaredSize) {
		throw badRequest(MESSAGES.lengthMismatch(declaredSize, contentLength), fieldName("size"));
	}
	return {
		length: contentLength ?? declaredSize,
		declaredSize,
		declaredChecksum: declared.checksum ?? null,
	};
}

/**
 * Receives an image's bytes (contract §5.2 upload stage, design.md §4): the image moves
 * queued → saving by a guarded update (a second concurrent upload gets 409 and writes nothing),
 * the bytes stream to R2 while MD5 and SHA-512 are computed, the declared size and checksum are
 * compared, and the image becomes active. Any failure leaves it killed with its bytes removed.
 */
export async function receiveImageData(
	deps: UploadDeps,
	image: StoredImage,
	body: ReadableStream<Uint8Array>,
	plan: UploadPlan,
	onQuotaRefusal: "kill" | "keep" = "keep",
): Promise<StoredImage> {
	const quota = deps.config.storageQuota;
	// A body of known length reserves all of it up front; one of unknown length part by part.
	const started = await deps.images.startUpload(image.id, plan.length ?? 0, quota);
	if (started === "conflict") throw conflict(MESSAGES.unqueued);
	if (started === "quota") {
		const refusal = await quotaRefusal(deps, image, plan.length ?? 0);
		if (onQuotaRefusal === "kill") await killImage(deps, image, refusal.message);
		throw refusal;
	}
	const saving = started;
	// Content inspection's windows, copied from the stream as it passes.
	const capture = new WindowCapture(plan.length);
	let bytes: StreamedBytes;
	try {
		bytes = await streamBytes(deps, saving, body, plan, capture);
	} catch (err) {
		const failure = uploadFailure(err, plan, deps.config);
		await killImage(deps, saving, failure.message);
		throw failure;
	}
	const mismatch = verify(plan, bytes);
	if (mismatch) {
		await killImage(deps, saving, mismatch.message);
		throw mismatch;
	}
	// Before the image can become active: unsafe or mislabelled data is refused (§A.1).
	const content = judgeContent(
		capture.finish(),
		{ diskFormat: saving.disk_format, containerFormat: saving.container_format },
		deps.config,
	);
	if (!content.accepted) {
		await killImage(deps, saving, content.reason);
		throw badRequest(content.reason, content.field ?? undefined);
	}
	const active = await activate(deps.images, saving.id, bytes, content.virtualSize);
	if (active) return active;
	// Someone changed the image while its bytes streamed: a delete (412) or the sweeper (409).
	await removeBytes(deps.blobs, saving.object_key);
	const now = await deps.images.find(saving.id, null);
	if (now?.image.deleted) throw new ApiError(412, MESSAGES.deletedDuringUpload);
	throw conflict(MESSAGES.unqueued);
}

function streamBytes(
	deps: UploadDeps,
	image: StoredImage,
	body: ReadableStream<Uint8Array>,
	plan: UploadPlan,
	tap: ChunkTap,
): Promise<StreamedBytes> {
	const md5 = plan.declaredChecksum?.toLowerCase();
	if (plan.length !== null) {
		const verifiable = md5 && MD5_HEX.test(md5) && md5 === plan.declaredChecksum ? md5 : undefined;
		return streamKnownLength(deps.blobs, image.object_key, body, plan.length, verifiable, tap);
	}
	const quota = deps.config.storageQuota;
	return streamUnknownLength(
		deps.blobs,
		image.object_key,
		body,
		deps.config.uploadPartBytes,
		unknownLengthLimit(deps.config),
		async (bytes) => {
			if (quota > 0 && !(await deps.images.growReservation(image.id, bytes, quota))) {
				throw await quotaRefusal(deps, image, bytes);
			}
		},
		tap,
	);
}

/**
 * saving → active with what the bytes turned out to be; the quota reservation becomes the size.
 * Null when the image is no longer saving (deleted, or swept, meanwhile).
 */
export function activate(
	images: ImageRepository,
	id: string,
	bytes: StreamedBytes,
	virtualSize: number | null,
): Promise<StoredImage | null> {
	return images.transition(id, TRANSITIONS.finishUpload.from, TRANSITIONS.finishUpload.to, {
		size: bytes.size,
		checksum: bytes.md5,
		os_hash_algo: "sha512",
		os_hash_value: bytes.sha512,
		status_reason: null,
		reserved_bytes: 0,
		...(virtualSize !== null ? { virtual_size: virtualSize } : {}),
	});
}

/** 413 naming the quota, what is in use and what this upload needed (contract §7). */
async function quotaRefusal(
	deps: UploadDeps,
	image: StoredImage,
	needed: number,
): Promise<ApiError> {
	const quota = deps.config.storageQuota;
	const used = image.owner === null ? 0 : await deps.images.storageUsed(image.owner);
	return payloadTooLarge(MESSAGES.storageQuota(quota, used, needed));
}

function unknownLengthLimit(config: Config): number {
	const limits = [config.imageSizeCap, config.uploadPartBytes * MAX_PARTS];
	if (config.maxRequestBytes > 0) limits.push(config.maxRequestBytes);
	return Math.min(...limits);
}

function verify(plan: UploadPlan, bytes: StreamedBytes): ApiError | null {
	if (plan.declaredSize !== null && plan.declaredSize !== bytes.size) {
		return badRequest(MESSAGES.sizeMismatch(plan.declaredSize, bytes.size), "x-image-meta-size");
	}
	// Glance compares the strings exactly; the computed MD5 is lower-case hex.
	if (plan.declaredChecksum !== null && plan.declaredChecksum !== bytes.md5) {
		return badRequest(
			MESSAGES.checksumMismatch(plan.declaredChecksum, bytes.md5),
			"x-image-meta-checksum",
		);
	}
	return null;
}

/** Maps a streaming failure to what the client is told. */
function uploadFailure(err: unknown, plan: UploadPlan, config: Config): ApiError {
	if (err instanceof ApiError) return err;
	if (err instanceof ClientDisconnectedError) {
		// A body that ended cleanly but short of a declared size is a size mismatch, not a hang-up.
		if (err.cause === undefined && plan.declaredSize !== null) {
			return badRequest(
				MESSAGES.sizeMismatch(plan.declaredSize, err.received),
				"x-image-meta-size",
			);
		}
		return badRequest(MESSAGES.disconnected);
	}
	if (err instanceof TooManyBytesError) {
		return badRequest(
			`The image data is longer than the declared ${err.expected} bytes.`,
			"Content-Length",
		);
	}
	if (err instanceof StreamLimitError) {
		if (err.limit === config.imageSizeCap) return payloadTooLarge(MESSAGES.tooLarge(err.limit));
		if (config.maxRequestBytes > 0 && err.limit === config.maxRequestBytes) {
			return payloadTooLarge(MESSAGES.requestTooLarge(err.limit));
		}
		return payloadTooLarge(MESSAGES.tooManyParts(config.uploadPartBytes));
	}
	if (err instanceof StoreWriteError) {
		// R2 refuses a put whose bytes do not match the MD5 it was handed.
		const cause = err.cause instanceof Error ? err.cause.message : "";
		if (plan.declaredChecksum && /md5|digest|checksum|BadDigest/i.test(cause)) {
			return badRequest(
				`Supplied checksum (${plan.declaredChecksum}) did not match the uploaded image data. Setting image status to 'killed'.`,
				"x-image-meta-checksum",
			);
		}
		// The request log records this 5xx once, with its cause.
		return new ApiError(503, MESSAGES.storeFailed, { cause: err });
	}
	return new ApiError(500, "The upload failed unexpectedly; the image has been killed.", {
		cause: err,
	});
}

/**
 * Moves a failed upload to killed and removes whatever bytes reached the store, without
 * masking the original error (Glance's safe_kill).
 */
export async function killImage(
	deps: UploadDeps,
	image: StoredImage,
	reason: string,
): Promise<void> {
	try {
		await deps.images.transition(image.id, TRANSITIONS.kill.from, TRANSITIONS.kill.to, {
			status_reason: reason,
			reserved_bytes: 0,
		});
	} catch (err) {
		console.error(
			JSON.stringify({
				level: "error",
				msg: "could not kill image",
				image_id: image.id,
				error: String(err),
			}),
		);
	}
	await removeBytes(deps.blobs, image.object_key);
}

async function removeBytes(blobs: BlobStore, key: string): Promise<void> {
	try {
		await blobs.delete(key);
	} catch (err) {
		// The sweeper removes objects of killed and deleted images that are left behind.
		console.error(
			JSON.stringify({
				level: "error",
				msg: "could not remove image bytes",
				key,
				error: String(err),
			}),
		);
	}
}
