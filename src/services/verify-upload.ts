import type { Config } from "../config";
import { inspectStoredObject } from "../inspection";
import type { ImageRepository } from "../metadata/image-repository";
import type { SessionRepository } from "../metadata/session-repository";
import type { BlobStore } from "../storage/blob-store";
import { activate } from "./image-upload";
import { ClientDisconnectedError, digestStream } from "./stream-to-store";
import { failUpload } from "./upload-sessions";

export interface VerifyDeps {
	images: ImageRepository;
	sessions: SessionRepository;
	blobs: BlobStore;
	config: Config;
}

export type VerifyOutcome = "active" | "killed" | "skipped";

/**
 * Checks the object a completed upload session assembled (design.md §4): its size, MD5 and
 * SHA-512 against what the client declared, then its content. The image becomes active, or
 * killed with the reason recorded and its bytes removed. Idempotent: a redelivered message for
 * an image that is no longer being verified does nothing.
 */
export async function verifyUploadedImage(
	deps: VerifyDeps,
	imageId: string,
): Promise<VerifyOutcome> {
	const found = await deps.images.find(imageId, null);
	const session = await deps.sessions.find(imageId);
	if (found?.image.status !== "saving" || session?.state !== "verifying") return "skipped";
	const image = found.image;
	const kill = async (reason: string): Promise<VerifyOutcome> => {
		await failUpload(deps, image, reason);
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
		return kill(
			`Supplied checksum (${session.checksum}) and checksum generated from uploaded image (${bytes.md5}) did not match.`,
		);
	}
	if (session.os_hash_value && session.os_hash_value !== bytes.sha512) {
		return kill(
			"Supplied os_hash_value (SHA-512) and the SHA-512 of the uploaded image did not match.",
		);
	}
	// The same content checks a single-request upload gets, by ranged reads of the object.
	const verdict = await inspectStoredObject(
		deps.blobs,
		image.object_key,
		{ diskFormat: image.disk_format, containerFormat: image.container_format },
		deps.config,
	);
	if (verdict && !verdict.accepted) return kill(verdict.reason);
	const active = await activate(
		deps.images,
		imageId,
		bytes,
		verdict?.accepted ? verdict.virtualSize : null,
	);
	if (active) {
		await deps.sessions.close(imageId);
		return "active";
	}
	// Someone else moved the image while we hashed: a second delivery of this message that won
	// (leave its bytes alone), or a delete or the sweeper (its bytes are garbage now).
	const now = await deps.images.find(imageId, null);
	if (now?.image.status !== "active") {
		await deps.blobs.delete(image.object_key).catch(() => {});
		await deps.sessions.close(imageId);
	}
	return "skipped";
}
