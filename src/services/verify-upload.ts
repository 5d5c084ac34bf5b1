import type { Config } from "../config";
import { MESSAGES } from "../domain/glance-rules";
import { LIFECYCLE } from "../domain/lifecycle";
import { formatRecord } from "../inspection";
import { ClientDisconnectedError, digestStream } from "../storage/stream-to-store";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { inspectStoredObject } from "./stored-windows";

export interface VerifyDeps extends LifecycleDeps {
	config: Config;
}

export type VerifyOutcome = "active" | "killed" | "skipped";

/**
 * Checks the object a completed upload session assembled: its size, MD5 and SHA-512 against
 * what the client declared, then its content. The image becomes active, or killed with the
 * reason recorded and its bytes removed. Idempotent: a redelivered message for an image that is
 * no longer being verified does nothing.
 */
export async function verifyUploadedImage(
	deps: VerifyDeps,
	imageId: string,
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

	const object = await deps.blobs.get(image.object_key);
	if (!object) return kill("The assembled image data could not be found in the store.");
	let bytes: Awaited<ReturnType<typeof digestStream>>;
	try {
		bytes = await digestStream(object.body);
	} catch (err) {
		// A failed read is the store's, not the client's: let the queue retry the message.
		throw err instanceof ClientDisconnectedError ? (err.cause ?? err) : err;
	}
	if (bytes.size !== session.size) {
		return kill(
			`The uploaded data is ${bytes.size} bytes, but the session declared ${session.size}.`,
		);
	}
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
	const verdict = await inspectStoredObject(deps.blobs, image.object_key, declared, deps.config);
	if (verdict && !verdict.accepted) return kill(verdict.reason);
	const active = await lifecycle.activate(image, {
		...bytes,
		virtualSize: verdict?.accepted ? verdict.virtualSize : null,
		detectedFormat: verdict?.accepted ? formatRecord(verdict.detected, declared) : null,
	});
	// Null: a second delivery of this message won, or a delete or the sweeper came first (the
	// lifecycle removed the bytes if the image is dead).
	return active ? "active" : "skipped";
}
