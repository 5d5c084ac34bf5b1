import { IMAGE_TAG_QUOTA, MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import type { StoredImage } from "../domain/image";
import { conflict, notFound } from "../domain/refusal";
import { findVisibleImage } from "./image-lookup";
import { type PatchDeps, requireOwnerV2 } from "./image-patch";
import { checkTagQuota } from "./image-registration";

const NO_PROPERTY_CHANGES = { purge: false, set: {}, remove: [] };

/** Adds a tag (glance-v2-contract §2.11); an existing tag is a no-op. Any status. */
export async function addTag(deps: PatchDeps, imageId: string, tag: string): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerTags(found.image.id));
	const { image } = found;
	if (image.tags.includes(tag)) return image;
	const tags = [...image.tags, tag];
	checkTagQuota(tags.length, IMAGE_TAG_QUOTA);
	const updated = await deps.images.update(image.id, image.revision, {}, NO_PROPERTY_CHANGES, tags);
	if (!updated) throw conflict(MESSAGES.changedConcurrently);
	return updated;
}

/** Removes a tag; one the image does not have is 404. */
export async function removeTag(
	deps: PatchDeps,
	imageId: string,
	tag: string,
): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerTags(found.image.id));
	const { image } = found;
	if (!image.tags.includes(tag)) throw notFound(V2_MESSAGES.tagNotFound(tag));
	const tags = image.tags.filter((t) => t !== tag);
	const updated = await deps.images.update(image.id, image.revision, {}, NO_PROPERTY_CHANGES, tags);
	if (!updated) throw conflict(MESSAGES.changedConcurrently);
	return updated;
}
