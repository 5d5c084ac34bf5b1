import { V2_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { allows, LIFECYCLE } from "../domain/lifecycle";
import { forbidden } from "../domain/refusal";
import type { ImageRepository } from "../metadata/image-repository";
import { findVisibleImage } from "./image-lookup";
import { requireOwnerV2 } from "./image-patch";

export interface ActionDeps {
	images: ImageRepository;
	identity: Identity;
}

export type ImageAction = "deactivate" | "reactivate";

/**
 * Glance v2's deactivate and reactivate (glance-v2-contract §2.10): the owner or an admin; an
 * image already in the target status is a no-op; any other status is refused with 403.
 */
export async function applyImageAction(
	deps: ActionDeps,
	imageId: string,
	action: ImageAction,
): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerModify(found.image.id));
	const { image } = found;
	if (image.status === LIFECYCLE[action].to) return image;
	if (!allows(action, image.status)) {
		throw forbidden(V2_MESSAGES.wrongStatusAction(action, image.status));
	}
	const applied = await deps.images.apply(action, image.id);
	if (applied) return applied.image;
	// Lost a race: answer with what the image became.
	const now = await findVisibleImage(deps.images, deps.identity, imageId);
	if (now.image.status === LIFECYCLE[action].to) return now.image;
	throw forbidden(V2_MESSAGES.wrongStatusAction(action, now.image.status));
}
