import { requireModifiable } from "../domain/access";
import { MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { conflict, forbidden, notFound } from "../domain/refusal";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";
import { requireOwnerV2 } from "./image-patch";

export interface DeleteDeps extends LifecycleDeps {
	identity: Identity;
}

export interface DeleteOptions {
	/** Glance v2's rule: a caller who can see the image but does not own it gets 403 (v1: 404 for members). */
	v2?: boolean;
}

/**
 * Deletes an image: the D1 row becomes a tombstone first (its reservation released and any
 * upload session closed in the same batch), so the id is never reused and the image vanishes at
 * once; then its bytes are removed. If removing them fails, the sweeper removes them later: a
 * deleted image's object is always garbage.
 */
export async function deleteImage(
	deps: DeleteDeps,
	imageId: string,
	options: DeleteOptions = {},
): Promise<void> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	const { image } = found;
	if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	if (options.v2) requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerDelete(image.id));
	else {
		requireModifiable(
			image,
			deps.identity,
			found.callerIsMember,
			MESSAGES.notOwnerDelete(image.id),
		);
	}
	if (image.protected) throw forbidden(MESSAGES.protectedImage);
	if (image.status === "pending_delete") throw forbidden(MESSAGES.pendingDelete);

	if (await new ImageLifecycle(deps).delete(image)) return;
	// Lost a race: say what the image became.
	const now = await deps.images.find(image.id, null);
	if (!now || now.image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	if (now.image.protected) throw forbidden(MESSAGES.protectedImage);
	throw conflict(MESSAGES.changedConcurrently);
}
