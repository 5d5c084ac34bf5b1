import type { Config } from "../config";
import { requireTakesData } from "../domain/data-rules";
import { MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { invalid, Refusal, tooLarge, unavailable } from "../domain/refusal";
import { MAX_PARTS } from "../domain/upload-geometry";
import { checkDeclaredSize } from "../domain/validate-image-meta";
import { formatRecord, judgeContent, WindowCapture } from "../inspection";
import type { DataStart } from "../metadata/image-repository";
import {
	type ChunkTap,
	ClientDisconnectedError,
	StoreWriteError,
	type StreamedBytes,
	StreamLimitError,
	streamKnownLength,
	streamUnknownLength,
	TooManyBytesError,
} from "../storage/stream-to-store";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";
import { requireOwnerV2 } from "./image-patch";

export interface UploadDeps extends LifecycleDeps {
	config: Config;
}

/** How a failed upload ends: v1 kills the image (Glance v1), v2 queues it again (Glance v2). */
export type UploadFailureEnd = "kill" | "restore";

/** Image bytes as a request carries them. */
export interface ImageData {
	body: ReadableStream<Uint8Array>;
	/** The body's Content-Length, or null when it is chunked. */
	contentLength: number | null;
}

/** What the client declared about the bytes, to compare with what arrives. */
export interface DeclaredData {
	size?: number | null;
	checksum?: string | null;
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

/** No bytes at all: Glance's `x-image-meta-size: 0` registration without data. */
export const emptyData = (): ImageData => ({
	body: new ReadableStream({ start: (c) => c.close() }),
	contentLength: 0,
});

/**
 * Checks everything about an upload that can be checked before any write: the declared sizes
 * against the cap, the request limit, and each other.
 */
export function planUpload(
	data: ImageData,
	declared: DeclaredData,
	config: Config,
	options: { acceptUnsized?: boolean } = {},
): UploadPlan {
	const { contentLength } = data;
	const declaredSize = declared.size ? declared.size : null;
	checkDeclaredSize(contentLength, config.imageSizeCap, "Content-Length");
	checkDeclaredSize(declaredSize, config.imageSizeCap, "size");
	if (
		config.maxRequestBytes > 0 &&
		contentLength !== null &&
		contentLength > config.maxRequestBytes
	) {
		throw tooLarge(MESSAGES.requestTooLarge(config.maxRequestBytes), "Content-Length");
	}
	// A chunked body is read to its declared size (glanceclient sends files this way): a size over
	// the limit would carry the body past it.
	if (
		config.maxRequestBytes > 0 &&
		contentLength === null &&
		declaredSize !== null &&
		declaredSize > config.maxRequestBytes
	) {
		throw tooLarge(MESSAGES.requestTooLarge(config.maxRequestBytes), "size");
	}
	if (contentLength !== null && declaredSize !== null && contentLength !== declaredSize) {
		throw invalid(MESSAGES.lengthMismatch(declaredSize, contentLength), "size");
	}
	const plan = {
		length: contentLength ?? declaredSize,
		declaredSize,
		declaredChecksum: declared.checksum ?? null,
	};
	// Nothing would tell a truncated body from a whole one (see ACCEPT_UNSIZED_UPLOADS).
	const acceptUnsized = options.acceptUnsized === true || config.acceptUnsizedUploads;
	if (plan.length === null && plan.declaredChecksum === null && !acceptUnsized) {
		throw invalid(MESSAGES.unsizedUpload, "size");
	}
	return plan;
}

/**
 * Starts a single-request upload: the image moves queued → saving by a guarded update that
 * reserves the known length (a second concurrent upload, or an open upload session, gets 409
 * and nothing is written).
 */
export function startUpload(
	deps: UploadDeps,
	image: StoredImage,
	plan: UploadPlan,
): Promise<StoredImage> {
	// A body of known length reserves all of it up front; one of unknown length part by part.
	return new ImageLifecycle(deps).beginUpload(image, plan.length ?? 0, deps.config.storageQuota);
}

/**
 * Receives the bytes of an upload started by `startUpload`: they stream to R2 while MD5 and
 * SHA-512 are computed, the declared size and checksum are compared, the content is inspected,
 * and the image becomes active. Any failure leaves it killed with its bytes removed.
 */
export async function receiveImageData(
	deps: UploadDeps,
	saving: StoredImage,
	body: ReadableStream<Uint8Array>,
	plan: UploadPlan,
	onFailure: UploadFailureEnd = "kill",
): Promise<StoredImage> {
	const lifecycle = new ImageLifecycle(deps);
	const fail = (reason: string) =>
		onFailure === "kill" ? lifecycle.kill(saving, reason) : lifecycle.restore(saving, reason);
	// Content inspection's windows, copied from the stream as it passes.
	const capture = new WindowCapture(plan.length);
	let bytes: StreamedBytes;
	try {
		bytes = await streamBytes(deps, lifecycle, saving, body, plan, capture);
	} catch (err) {
		const failure = uploadFailure(err, plan, deps.config);
		await fail(failure?.message ?? "The upload failed unexpectedly.");
		throw failure ?? err;
	}
	const mismatch = verify(plan, bytes);
	if (mismatch) {
		await fail(mismatch.message);
		throw mismatch;
	}
	// Before the image can become active: unsafe or mislabelled data is refused.
	const declared = { diskFormat: saving.disk_format, containerFormat: saving.container_format };
	const content = judgeContent(capture.finish(), declared, deps.config);
	if (!content.accepted) {
		await fail(content.reason);
		throw invalid(content.reason, content.field ?? undefined);
	}
	const active = await lifecycle.activate(saving, {
		...bytes,
		virtualSize: content.virtualSize,
		detectedFormat: formatRecord(content.detected, declared),
	});
	if (active) return active;
	// Someone changed the image while its bytes streamed: a delete (412) or the sweeper (409).
	const now = await deps.images.find(saving.id, null);
	if (now?.image.deleted) throw new Refusal("deleted_meanwhile", MESSAGES.deletedDuringUpload);
	throw new Refusal("conflict", MESSAGES.unqueued);
}

/**
 * Streams a body of the plan's length (or of unknown length, reserving quota part by part while
 * the image is in the status `during` left it) to the image's object, with its digests.
 * Shared with Glance v2's stage.
 */
export function streamBytes(
	deps: UploadDeps,
	lifecycle: ImageLifecycle,
	image: StoredImage,
	body: ReadableStream<Uint8Array>,
	plan: UploadPlan,
	tap?: ChunkTap,
	during: DataStart = "startUpload",
): Promise<StreamedBytes> {
	if (plan.length !== null) {
		return streamKnownLength(deps.blobs, image.object_key, body, plan.length, tap);
	}
	const quota = deps.config.storageQuota;
	return streamUnknownLength(
		deps.blobs,
		image.object_key,
		body,
		deps.config.uploadPartBytes,
		unknownLengthLimit(deps.config),
		async (bytes) => {
			if (quota > 0 && !(await deps.images.growReservation(image.id, bytes, quota, during))) {
				throw await lifecycle.quotaRefusal(image, bytes, quota);
			}
		},
		tap,
	);
}

function unknownLengthLimit(config: Config): number {
	const limits = [config.imageSizeCap, config.uploadPartBytes * MAX_PARTS];
	if (config.maxRequestBytes > 0) limits.push(config.maxRequestBytes);
	return Math.min(...limits);
}

function verify(plan: UploadPlan, bytes: StreamedBytes): Refusal | null {
	if (plan.declaredSize !== null && plan.declaredSize !== bytes.size) {
		return invalid(MESSAGES.sizeMismatch(plan.declaredSize, bytes.size), "size");
	}
	// Glance compares the strings exactly; the computed MD5 is lower-case hex.
	if (plan.declaredChecksum !== null && plan.declaredChecksum !== bytes.md5) {
		return invalid(MESSAGES.checksumMismatch(plan.declaredChecksum, bytes.md5), "checksum");
	}
	return null;
}

/** Maps a streaming failure to what the client is told; null for the unexpected (a 500). */
export function uploadFailure(err: unknown, plan: UploadPlan, config: Config): Refusal | null {
	if (err instanceof Refusal) return err;
	if (err instanceof ClientDisconnectedError) {
		// A body that ended cleanly but short of a declared size is a size mismatch, not a hang-up.
		if (err.cause === undefined && plan.declaredSize !== null) {
			return invalid(MESSAGES.sizeMismatch(plan.declaredSize, err.received), "size");
		}
		return invalid(MESSAGES.disconnected);
	}
	if (err instanceof TooManyBytesError) {
		return invalid(
			`The image data is longer than the declared ${err.expected} bytes.`,
			"Content-Length",
		);
	}
	if (err instanceof StreamLimitError) {
		if (err.limit === config.imageSizeCap) return tooLarge(MESSAGES.tooLarge(err.limit));
		if (config.maxRequestBytes > 0 && err.limit === config.maxRequestBytes) {
			return tooLarge(MESSAGES.requestTooLarge(err.limit));
		}
		return tooLarge(MESSAGES.tooManyParts(config.uploadPartBytes));
	}
	// The request log records this 5xx once, with its cause.
	if (err instanceof StoreWriteError) return unavailable(MESSAGES.storeFailed, err);
	return null;
}

/**
 * Glance v2's upload, `PUT /v2/images/{id}/file` (glance-v2-contract §2.6): the owner, a queued
 * image with both formats, then the same streaming, digests, inspection, quota and request limit
 * as v1. A failure queues the image again instead of killing it.
 */
export async function uploadImageData(
	deps: UploadDeps & { identity: Identity },
	imageId: string,
	data: ImageData,
): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerUpload(found.image.id));
	const { image } = found;
	requireTakesData(image.status);
	const missing = (["disk_format", "container_format"] as const).filter((f) => image[f] === null);
	if (missing.length > 0) throw invalid(V2_MESSAGES.formatsBeforeData(missing), missing[0]);
	// Image API v2 has no way to declare a size, and glanceclient, Nova and gophercloud always
	// send the file chunked: v2 takes unsized uploads whatever ACCEPT_UNSIZED_UPLOADS says
	// (refusing them would refuse every such client; README, Known limitations).
	const plan = planUpload(data, { checksum: image.checksum }, deps.config, { acceptUnsized: true });
	const saving = await startUpload(deps, image, plan);
	return receiveImageData(deps, saving, data.body, plan, "restore");
}
