import { canSee } from "../domain/access";
import { MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { notFound } from "../domain/refusal";
import { canonicalUuid } from "../domain/validate-image-meta";
import type { ImageLookup, ImageRepository } from "../metadata/image-repository";

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** The image if the caller may see it; otherwise 404, whether it exists or not (never 403). */
export async function findVisibleImage(
	images: ImageRepository,
	identity: Identity,
	id: string,
): Promise<ImageLookup> {
	const found = UUID_LIKE.test(id) ? await images.find(canonicalUuid(id), identity.tenant) : null;
	if (!found || !canSee(found.image, identity, found.callerIsMember)) {
		throw notFound(MESSAGES.imageNotFound(id));
	}
	return found;
}
