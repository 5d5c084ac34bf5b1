import type { Config } from "../config";
import { MESSAGES } from "../domain/glance-rules";
import type { StoredImage } from "../domain/image";
import { allows, LIFECYCLE } from "../domain/lifecycle";
import { formatRecord } from "../inspection";
import type { UploadSession } from "../metadata/session-repository";
import { ClientDisconnectedError, digestStream } from "../storage/stream-to-store";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { inspectStoredObject } from "./stored-windows";

export interface VerifyDeps extends LifecycleDeps {
	config: Config;
}

export type VerifyOutcome = "active" | "killed" | "skipped";

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
 * size, MD5 and SHA-512 against what the client declared, then its content. The image becomes
 * active, or killed (an import: queued again) with the reason recorded and its bytes removed. Idempotent: a redelivered message for an image that is
 * no longer being verified does nothing.
 */
export async function verifyUploadedImage(
	deps: VerifyDeps,
	imageId: string,
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

	const object = await deps.blobs.get(image.object_key);
	if (!object) return kill("The assembled image data could not be found in the store.");
	let bytes: Awaited<ReturnType<typeof digestStream>>;
	try {
		bytes = await digestStream(object.body);
	} catch (err) {
		// A failed read is the store's, not the client's: let the queue retry the message.
		throw err instanceof ClientDisconnectedError ? (err.cause ?? err) : err;
	}
	if (bytes.size !== expected.size) {
		return kill(
			`The uploaded data is ${bytes.size} bytes, but the session declared ${expected.size}.`,
		);
	}
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
	const verdict = await inspectStoredObject(deps.blobs, image.object_key, declared, deps.config);
	if (verdict && !verdict.accepted) return kill(verdict.reason);
	const active = await lifecycle.activate(
		image,
		{
			...bytes,
			virtualSize: verdict?.accepted ? verdict.virtualSize : null,
			detectedFormat: verdict?.accepted ? formatRecord(verdict.detected, declared) : null,
		},
		expected.end === "import" ? "finishImport" : "finishUpload",
	);
	// Null: a second delivery of this message won, or a delete or the sweeper came first (the
	// lifecycle removed the bytes if the image is dead).
	return active ? "active" : "skipped";
}
