import { requireModifiable } from "../domain/access";
import { MESSAGES, TRANSITIONS } from "../domain/glance-rules";
import { conflict, forbidden, notFound } from "../domain/refusal";
import type { Identity } from "../identity/identity";
import type { ImageLookup, ImageRepository } from "../metadata/image-repository";
import type { SessionRepository } from "../metadata/session-repository";
import type { BlobStore } from "../storage/blob-store";

export interface DeleteDeps {
	images: ImageRepository;
	sessions: SessionRepository;
	blobs: BlobStore;
	identity: Identity;
}

/**
 * Deletes an image (contract §5.6, design.md §4): the D1 row becomes a tombstone first, so the
 * id is never reused and the image vanishes at once; then its bytes are removed. If removing the
 * bytes fails, the sweeper removes them later: a deleted image's object is always garbage.
 */
export async function deleteImage(deps: DeleteDeps, found: ImageLookup): Promise<void> {
	const { image } = found;
	if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	requireModifiable(image, deps.identity, found.callerIsMember, MESSAGES.notOwnerDelete(image.id));
	if (image.protected) throw forbidden(MESSAGES.protectedImage);
	if (image.status === "pending_delete") throw forbidden(MESSAGES.pendingDelete);

	const tombstone = await deps.images.markDeleted(image.id, TRANSITIONS.delete.from);
	if (!tombstone) {
		// Lost a race: say what the image became.
		const now = await deps.images.find(image.id, null);
		if (!now || now.image.deleted) throw notFound(MESSAGES.imageGone(image.id));
		if (now.image.protected) throw forbidden(MESSAGES.protectedImage);
		throw conflict(MESSAGES.changedConcurrently);
	}
	try {
		// An upload session in progress goes with the image: its parts are garbage too.
		const session = await deps.sessions.find(image.id);
		if (session) {
			await deps.blobs
				.resumeMultipart(image.object_key, session.upload_id)
				.abort()
				.catch(() => {});
			await deps.sessions.close(image.id);
		}
		await deps.blobs.delete(image.object_key);
	} catch (err) {
		console.error(
			JSON.stringify({
				level: "error",
				msg: "could not remove the bytes of a deleted image; the sweeper will",
				image_id: image.id,
				error: String(err),
			}),
		);
	}
}
