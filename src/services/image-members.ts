import type { Config } from "../config";
import { MEMBER_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { notFound, tooLarge } from "../domain/refusal";
import type { ImageLookup, ImageRepository } from "../metadata/image-repository";
import type { Member, MemberRepository, MembershipRequest } from "../metadata/member-repository";
import { findVisibleImage } from "./image-lookup";

export interface MemberDeps {
	images: ImageRepository;
	members: MemberRepository;
	identity: Identity;
	config: Config;
}

/** The image behind a member call: visible to the caller and not deleted (contract §5.7). */
async function memberImage(deps: MemberDeps, imageId: string): Promise<ImageLookup> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	if (found.image.deleted) throw notFound(MEMBER_MESSAGES.imageDeleted(found.image.id));
	return found;
}

/**
 * The image, if the caller may change its memberships: an admin, the owner, or a member with
 * can_share. Anyone else gets 404, as the v1 API re-mapped the registry's 403.
 */
async function sharableImage(deps: MemberDeps, imageId: string): Promise<ImageLookup> {
	const found = await memberImage(deps, imageId);
	const { identity } = deps;
	const owner = identity.tenant !== null && found.image.owner === identity.tenant;
	if (!identity.isAdmin && !owner && !found.callerCanShare) {
		throw notFound(MEMBER_MESSAGES.cannotShare(found.image.id));
	}
	return found;
}

/** Admins and the owner see every member; a member sees only itself; anyone else none. */
export async function listMembers(deps: MemberDeps, imageId: string): Promise<Member[]> {
	const { image, callerIsMember } = await memberImage(deps, imageId);
	const { identity } = deps;
	const members = await deps.members.list(image.id);
	if (identity.isAdmin || (identity.tenant !== null && image.owner === identity.tenant))
		return members;
	if (callerIsMember) return members.filter((m) => m.member_id === identity.tenant);
	return [];
}

export async function addMember(
	deps: MemberDeps,
	imageId: string,
	member: string,
	canShare: boolean | undefined,
): Promise<void> {
	const { image } = await sharableImage(deps, imageId);
	const quota = deps.config.memberQuota;
	if (!(await deps.members.upsert(image.id, member, canShare, quota))) {
		// The upsert refuses only over quota or when the image was deleted meanwhile.
		const current = await deps.members.list(image.id);
		if (current.length >= quota && quota >= 0) {
			throw tooLarge(MEMBER_MESSAGES.quota(current.length + 1, quota));
		}
		throw notFound(MEMBER_MESSAGES.imageDeleted(image.id));
	}
}

/** Replaces the member list; over the quota → 413 and the list is left as it was. */
export async function replaceMembers(
	deps: MemberDeps,
	imageId: string,
	requested: MembershipRequest[],
): Promise<void> {
	const { image } = await sharableImage(deps, imageId);
	const unique = new Map(requested.map((m) => [m.member_id, m]));
	const quota = deps.config.memberQuota;
	if (quota >= 0 && unique.size > quota) throw tooLarge(MEMBER_MESSAGES.quota(unique.size, quota));
	await deps.members.replace(image.id, [...unique.values()]);
}

export async function removeMember(
	deps: MemberDeps,
	imageId: string,
	member: string,
): Promise<void> {
	const { image } = await sharableImage(deps, imageId);
	if (!(await deps.members.remove(image.id, member))) throw notFound(MEMBER_MESSAGES.notMember);
}
