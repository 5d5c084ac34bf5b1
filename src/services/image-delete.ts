import { requireModifiable } from "../domain/access";
import { MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { conflict, forbidden, notFound } from "../domain/refusal";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";

export interface DeleteDeps extends LifecycleDeps {
	identity: Identity;
}

/**
 * Deletes an image: the D1 row becomes a tombstone first (its reservation released and any
 * upload session closed in the same batch), so the id is never reused and the image vanishes at
 * once; then its bytes are removed. If removing them fails, the sweeper removes them later: a
 * deleted image's object is always garbage.
 */
export async function deleteImage(deps: DeleteDeps, imageId: string): Promise<void> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	const { image } = found;
	if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	requireModifiable(image, deps.identity, found.callerIsMember, MESSAGES.notOwnerDelete(image.id));
	if (image.protected) throw forbidden(MESSAGES.protectedImage);
	if (image.status === "pending_delete") throw forbidden(MESSAGES.pendingDelete);

	if (await new ImageLifecycle(deps).delete(image)) return;
	// Lost a race: say what the image became.
	const now = await deps.images.find(image.id, null);
	if (!now || now.image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	if (now.image.protected) throw forbidden(MESSAGES.protectedImage);
	throw conflict(MESSAGES.changedConcurrently);
}
