import { MESSAGES } from "./glance-rules";
import type { Identity } from "./identity";
import type { Image, StoredImage } from "./image";
import { forbidden, notFound } from "./refusal";

/**
 * Who may see an image (contract §9): admins see everything, deleted tombstones included;
 * everyone else sees public images, images without an owner, their own, and those shared with
 * them. Invisible images answer 404, never 403.
 */
export function canSee(image: StoredImage, who: Identity, isMember: boolean): boolean {
	if (who.isAdmin) return true;
	if (image.deleted) return false;
	return (
		image.visibility === "public" ||
		image.visibility === "community" ||
		image.owner === null ||
		(who.tenant !== null && image.owner === who.tenant) ||
		// Only shared images have members (glance-v2-contract §5); a v1 member of an image that
		// is now private gives no access.
		(isMember && image.visibility === "shared")
	);
}

/** Who may change or delete an image: admins, and the owning tenant (never for owner-less images). */
export function canModify(image: Image, who: Identity): boolean {
	return who.isAdmin || (who.tenant !== null && image.owner === who.tenant);
}

/**
 * Refuses a caller who may see the image but not change it: a member of a shared image gets
 * 404 (the reference answered 500, design.md §2), anyone else — e.g. on a public image — 403.
 */
export function requireModifiable(
	image: Image,
	who: Identity,
	callerIsMember: boolean,
	forbiddenMessage: string,
): void {
	if (canModify(image, who)) return;
	if (callerIsMember && !image.is_public && image.owner !== null) {
		throw notFound(MESSAGES.imageNotFound(image.id));
	}
	throw forbidden(forbiddenMessage);
}
