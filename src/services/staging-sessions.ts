import { MESSAGES, SESSION_MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { allows, partsStatus, STAGING } from "../domain/lifecycle";
import { conflict, invalid, notFound, Refusal, unavailable } from "../domain/refusal";
import { missingParts } from "../domain/upload-geometry";
import { checkDeclaredSize } from "../domain/validate-image-meta";
import type { StoredPart, UploadSession } from "../metadata/session-repository";
import { ImageLifecycle } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";
import { requireOwnerV2 } from "./image-patch";
import type { ImageData } from "./image-upload";
import { chainEnd } from "./session-digests";
import {
	checkDeclaredAtCompletion,
	type SessionDeps,
	type SessionView,
	sessionView,
	startSession,
	storeSessionPart,
} from "./upload-sessions";

/*
 * Glance v2's stage in parts: the upload-session extension under v2, for images larger than one
 * request (`PUT …/stage` is held to MAX_REQUEST_BYTES). Opening stages (queued → uploading, the
 * size reserved against the quota); the parts are stored as a v1 session's are; completing
 * assembles them and records the staged size, and the image waits, uploading, for
 * `POST …/import`, whose verifier checks the digests the session declared. Aborting, or the
 * sweeper on expiry, queues the image again and removes the parts.
 */

/** The image, if the caller may stage its data (the owner or an admin), as `PUT …/stage` asks. */
async function stageableImage(
	deps: { images: SessionDeps["images"]; identity: Identity },
	imageId: string,
): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerStage(found.image.id));
	return found.image;
}

/** The image's staging session, whatever its state; 404 when the image has none. */
async function stagingSessionOf(deps: SessionDeps, image: StoredImage): Promise<UploadSession> {
	const session = await deps.sessions.find(image.id);
	// The image's status tells the session's purpose: a queued or saving image's is a v1 upload's.
	if (!session || !STAGING.includes(image.status)) throw notFound(SESSION_MESSAGES.none(image.id));
	return session;
}

export async function openStagingSession(
	deps: SessionDeps,
	imageId: string,
	request: { size: number; checksum?: string; os_hash_value?: string },
): Promise<SessionView> {
	const image = await stageableImage(deps, imageId);
	const { config } = deps;
	if (!allows("stage", image.status)) throw conflict(V2_MESSAGES.stageNotQueued(image.status));
	// Staging needs no formats (Glance's); the import does.
	checkDeclaredSize(request.size, config.imageSizeCap, "size");
	const { session, upload } = await startSession(deps, image, request);
	const lifecycle = new ImageLifecycle(deps);
	const outcome = await lifecycle.openStagingSession(session, config.storageQuota);
	if (outcome !== "opened") {
		await upload.abort().catch(() => {});
		if (outcome === "exists") throw conflict(SESSION_MESSAGES.exists(image.id));
		if (outcome === "quota") {
			throw await lifecycle.quotaRefusal(image, request.size, config.storageQuota, "size");
		}
		const now = await deps.images.find(image.id, null);
		throw conflict(V2_MESSAGES.stageNotQueued(now?.image.status ?? image.status));
	}
	return sessionView(session, []);
}

export async function readStagingSession(deps: SessionDeps, imageId: string): Promise<SessionView> {
	const image = await stageableImage(deps, imageId);
	const session = await stagingSessionOf(deps, image);
	return sessionView(session, await deps.sessions.parts(image.id));
}

/** Stores one part, exactly as a v1 session's part (upload-sessions.ts), while the image stages. */
export async function uploadStagingPart(
	deps: SessionDeps,
	imageId: string,
	partNumber: number,
	data: ImageData | null,
): Promise<StoredPart> {
	return storeSessionPart(deps, await stageableImage(deps, imageId), partNumber, data, "stage");
}

/**
 * Aborts an open staging session: the image is queued again and its parts go, through the
 * transition that ended the stage.
 */
export async function abortStagingSession(deps: SessionDeps, imageId: string): Promise<void> {
	const image = await stageableImage(deps, imageId);
	const session = await stagingSessionOf(deps, image);
	if (session.state !== "open" || image.status !== partsStatus("stage")) {
		throw conflict(SESSION_MESSAGES.imageTakesNoParts(image.id, image.status));
	}
	if (!(await new ImageLifecycle(deps).unstage(image, V2_MESSAGES.stageAborted))) {
		throw conflict(SESSION_MESSAGES.closed);
	}
}

/**
 * Completes a staging session: every part must be stored. The parts stop being taken, the store
 * assembles them, and the image keeps uploading with its size: staged, ready for the import.
 * A failure to assemble queues the image again.
 */
export async function completeStagingSession(
	deps: SessionDeps,
	imageId: string,
	declared: { checksum?: string; os_hash_value?: string } = {},
): Promise<StoredImage> {
	const image = await stageableImage(deps, imageId);
	const session = await stagingSessionOf(deps, image);
	// Completing twice (a client retrying after a lost answer) answers the staged image again.
	if (session.state !== "open") {
		if (image.status === partsStatus("stage") && image.size !== null) return image;
		throw conflict(SESSION_MESSAGES.imageTakesNoParts(image.id, image.status));
	}
	checkDeclaredAtCompletion(session, declared);
	const parts = await deps.sessions.parts(image.id);
	const missing = missingParts(
		session,
		parts.map((p) => p.part_number),
	);
	if (missing.length > 0) throw invalid(SESSION_MESSAGES.missingParts(missing));
	const lifecycle = new ImageLifecycle(deps);
	const attempt = await lifecycle.completeStaging(image, chainEnd(session, parts), declared);
	if (attempt === null) throw conflict(SESSION_MESSAGES.closed);
	const completing = { ...image, upload_started_at: attempt };
	try {
		await deps.blobs
			.resumeMultipart(image.object_key, session.upload_id)
			.complete(parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })));
	} catch (err) {
		const reason = `The image store could not assemble the staged parts: ${err instanceof Error ? err.message : String(err)}`;
		await lifecycle.unstage(completing, reason);
		throw unavailable(reason, err);
	}
	const staged = await lifecycle.staged(completing, session.size);
	if (staged) return staged;
	const now = await deps.images.find(image.id, null);
	if (!now || now.image.deleted)
		throw new Refusal("deleted_meanwhile", MESSAGES.deletedDuringUpload);
	throw conflict(SESSION_MESSAGES.closed);
}
