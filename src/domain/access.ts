import { MESSAGES } from "./glance-rules";
import type { Identity } from "./identity";
import type { Image, StoredImage } from "./image";
import { forbidden, notFound } from "./refusal";
import { VISIBILITY_RULES } from "./sharing";

/**
 * Who may see an image (contract §9, glance-v2-contract §5.1): admins see everything, deleted
 * tombstones included; everyone else sees public and community images, images without an owner,
 * their own, and those shared with them whatever the membership's status (the status decides
 * only what is listed). Invisible images answer 404, never 403.
 */
export function canSee(image: StoredImage, who: Identity, isMember: boolean): boolean {
	if (who.isAdmin) return true;
	if (image.deleted) return false;
	const rule = VISIBILITY_RULES[image.visibility];
	return (
		rule.seenByAll ||
		image.owner === null ||
		(who.tenant !== null && image.owner === who.tenant) ||
		// Only shared images have members (glance-v2-contract §5): a membership of an image made
		// private or community later (or given through v1) gives no access, in any status.
		(isMember && rule.hasMembers)
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
