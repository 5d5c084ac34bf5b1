import type { Config } from "../config";
import { MESSAGES } from "../domain/glance-rules";
import { LIFECYCLE } from "../domain/lifecycle";
import { formatRecord, judgeContent } from "../inspection";
import { hashStoredRange } from "../storage/hashed-parts";
import { ResumableDigests, UnusableHashState } from "../storage/resumable-digests";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { captureStoredWindows } from "./stored-windows";

export interface VerifyDeps extends LifecycleDeps {
	config: Config;
}

/** "continuing": hashing stopped at the budget, its state saved; verify again to go on. */
export type VerifyOutcome = "active" | "killed" | "skipped" | "continuing";

/**
 * Bytes one queue delivery hashes: well inside the consumer's 5-minute CPU limit (about 45 s
 * at the ~180 MB/s measured for both digests), so no image is too large to verify; larger
 * ones take several deliveries.
 */
export const HASHED_PER_DELIVERY = 8 * 1024 * 1024 * 1024;

/**
 * Checks the object a completed upload session assembled: its size, MD5 and SHA-512 against
 * what the client declared, then its content. The digests continue from what the parts
 * hashed on their way in (session-digests.ts); at most `budget` bytes are hashed here, and the
 * state is saved for the next call when more are left. The image becomes active, or killed
 * with the reason recorded and its bytes removed. Idempotent: a redelivered message for an
 * image that is no longer being verified, or that another verifier is advancing, does nothing.
 */
export async function verifyUploadedImage(
	deps: VerifyDeps,
	imageId: string,
	budget: number = HASHED_PER_DELIVERY,
): Promise<VerifyOutcome> {
	const found = await deps.images.find(imageId, null);
	const session = await deps.sessions.find(imageId);
	if (found?.image.status !== LIFECYCLE.completeSession.to || session?.state !== "verifying") {
		return "skipped";
	}
	const image = found.image;
	const lifecycle = new ImageLifecycle(deps);
	const kill = async (reason: string): Promise<VerifyOutcome> => {
		await lifecycle.kill(image, reason);
		console.log(
			JSON.stringify({
				level: "info",
				msg: "upload verification failed",
				image_id: imageId,
				reason,
			}),
		);
		return "killed";
	};

	const progress = await deps.sessions.progress(imageId);
	if (!progress) return "skipped";
	// The head, tail and the regions they point to: a few small ranged reads, and the size.
	const windows = await captureStoredWindows(deps.blobs, image.object_key);
	if (!windows) return kill("The assembled image data could not be found in the store.");
	if (windows.size !== session.size) {
		return kill(
			`The uploaded data is ${windows.size} bytes, but the session declared ${session.size}.`,
		);
	}
	let digests: ResumableDigests;
	try {
		digests = progress.state
			? ResumableDigests.restore(progress.state, progress.bytes)
			: ResumableDigests.start();
	} catch (err) {
		if (!(err instanceof UnusableHashState)) throw err;
		digests = ResumableDigests.start();
	}
	// A failed read is the store's, not the client's: it throws, and the queue retries.
	await hashStoredRange(
		deps.blobs,
		image.object_key,
		digests,
		Math.min(session.size, digests.bytes + budget),
	);
	if (digests.bytes < session.size) {
		const saved = await deps.sessions.advance(
			imageId,
			progress.bytes,
			digests.bytes,
			digests.save(),
		);
		return saved ? "continuing" : "skipped";
	}
	const bytes = { size: session.size, ...digests.finish() };
	if (session.checksum && session.checksum !== bytes.md5) {
		return kill(MESSAGES.checksumMismatch(session.checksum, bytes.md5));
	}
	if (session.os_hash_value && session.os_hash_value !== bytes.sha512) {
		return kill(
			"Supplied os_hash_value (SHA-512) and the SHA-512 of the uploaded image did not match.",
		);
	}
	// The same content checks a single-request upload gets, by ranged reads of the object.
	const declared = { diskFormat: image.disk_format, containerFormat: image.container_format };
	const verdict = judgeContent(windows, declared, deps.config);
	if (!verdict.accepted) return kill(verdict.reason);
	const active = await lifecycle.activate(image, {
		...bytes,
		virtualSize: verdict.virtualSize,
		detectedFormat: formatRecord(verdict.detected, declared),
	});
	// Null: a second delivery of this message won, or a delete or the sweeper came first (the
	// lifecycle removed the bytes if the image is dead).
	return active ? "active" : "skipped";
}
