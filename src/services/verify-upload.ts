import type { Config } from "../config";
import { MESSAGES } from "../domain/glance-rules";
import type { StoredImage } from "../domain/image";
import { allows, LIFECYCLE } from "../domain/lifecycle";
import { formatRecord, judgeContent } from "../inspection";
import type { UploadSession } from "../metadata/session-repository";
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

/** What the object must be, and how a failure ends: an upload is killed, an import requeued. */
interface Expectation {
	size: number;
	checksum: string | null;
	os_hash_value: string | null;
	end: "upload" | "import";
}

/**
 * A completed upload session's image (saving), or a glance-direct import (importing), whose
 * staged size is known and whose staging session, if it had one, declared the digests.
 * Null when there is nothing to verify (a redelivered message, a deleted image).
 */
function expectationOf(image: StoredImage, session: UploadSession | null): Expectation | null {
	const declared = session?.state === "verifying" ? session : null;
	if (image.status === LIFECYCLE.completeSession.to) {
		return declared ? { ...declared, end: "upload" } : null;
	}
	if (allows("finishImport", image.status) && image.size !== null) {
		return {
			size: image.size,
			checksum: declared?.checksum ?? image.checksum,
			os_hash_value: declared?.os_hash_value ?? null,
			end: "import",
		};
	}
	return null;
}

/**
 * Checks the object a completed upload session assembled, or the staged data of an import: its
 * size, MD5 and SHA-512 against what the client declared, then its content. A session's digests
 * continue from what its parts hashed on their way in (session-digests.ts); at most `budget`
 * bytes are hashed here, and the state is saved for the next call when more are left. A stage
 * sent in one request has no session: it is at most one request's size and is hashed whole.
 * The image becomes active, or killed (an import: queued again) with the reason recorded and
 * its bytes removed. Idempotent: a redelivered message for an image that is no longer being
 * verified, or that another verifier is advancing, does nothing.
 */
export async function verifyUploadedImage(
	deps: VerifyDeps,
	imageId: string,
	budget: number = HASHED_PER_DELIVERY,
): Promise<VerifyOutcome> {
	const found = await deps.images.find(imageId, null);
	const session = await deps.sessions.find(imageId);
	const expected = found ? expectationOf(found.image, session) : null;
	if (!found || !expected) return "skipped";
	const image = found.image;
	const lifecycle = new ImageLifecycle(deps);
	const kill = async (reason: string): Promise<VerifyOutcome> => {
		if (expected.end === "import") await lifecycle.unstage(image, reason);
		else await lifecycle.kill(image, reason);
		console.info(
			JSON.stringify({
				level: "info",
				msg: "upload verification failed",
				image_id: imageId,
				reason,
			}),
		);
		return "killed";
	};

	// Only a session being verified carries the digests' progress (and can save it).
	const resumable = session?.state === "verifying";
	const progress = resumable ? await deps.sessions.progress(imageId) : { bytes: 0, state: null };
	if (!progress) return "skipped";
	// The head, tail and the regions they point to: a few small ranged reads, and the size.
	const windows = await captureStoredWindows(deps.blobs, image.object_key);
	if (!windows) return kill("The assembled image data could not be found in the store.");
	if (windows.size !== expected.size) {
		const by = expected.end === "import" ? "the stage recorded" : "the session declared";
		return kill(`The uploaded data is ${windows.size} bytes, but ${by} ${expected.size}.`);
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
	const until = resumable ? Math.min(expected.size, digests.bytes + budget) : expected.size;
	await hashStoredRange(deps.blobs, image.object_key, digests, until);
	if (digests.bytes < expected.size) {
		const saved = await deps.sessions.advance(
			imageId,
			progress.bytes,
			digests.bytes,
			digests.save(),
		);
		return saved ? "continuing" : "skipped";
	}
	const bytes = { size: expected.size, ...digests.finish() };
	if (expected.checksum && expected.checksum !== bytes.md5) {
		return kill(MESSAGES.checksumMismatch(expected.checksum, bytes.md5));
	}
	if (expected.os_hash_value && expected.os_hash_value !== bytes.sha512) {
		return kill(
			"Supplied os_hash_value (SHA-512) and the SHA-512 of the uploaded image did not match.",
		);
	}
	// The same content checks a single-request upload gets, by ranged reads of the object.
	const declared = { diskFormat: image.disk_format, containerFormat: image.container_format };
	const verdict = judgeContent(windows, declared, deps.config);
	if (!verdict.accepted) return kill(verdict.reason);
	const active = await lifecycle.activate(
		image,
		{
			...bytes,
			virtualSize: verdict.virtualSize,
			detectedFormat: formatRecord(verdict.detected, declared),
		},
		expected.end === "import" ? "finishImport" : "finishUpload",
	);
	// Null: a second delivery of this message won, or a delete or the sweeper came first (the
	// lifecycle removed the bytes if the image is dead).
	return active ? "active" : "skipped";
}
