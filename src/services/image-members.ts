import type { Config } from "../config";
import { MEMBER_MESSAGES, MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { conflict, notFound, tooLarge } from "../domain/refusal";
import {
	memberStatusOf,
	requireMemberAction,
	requireMembersAllowed,
	SHARING_MESSAGES,
	type SharingRole,
	seesAllMembers,
	sharingRole,
} from "../domain/sharing";
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

// Glance v2's members (glance-v2-contract §2.12, §5.2): the same rows, its own rules.

/**
 * The image behind a v2 member call — visible, live, shared (403 otherwise; 404 for a read of
 * one membership) — and what the caller is to it.
 */
async function sharedImage(
	deps: MemberDeps,
	imageId: string,
	asRead = false,
): Promise<{ image: StoredImage; role: SharingRole }> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	if (found.image.deleted) throw notFound(MESSAGES.imageGone(found.image.id));
	requireMembersAllowed(found.image, asRead);
	return {
		image: found.image,
		role: sharingRole(found.image, deps.identity, found.callerIsMember),
	};
}

/**
 * The membership `member` as the caller may see it: admins and the owner any, anyone else only
 * its own (Glance's member query is limited to the caller's rows), so others' are 404.
 */
async function visibleMembership(
	deps: MemberDeps,
	image: StoredImage,
	role: SharingRole,
	member: string,
): Promise<Member> {
	const mine = deps.identity.tenant !== null && member === deps.identity.tenant;
	const found = seesAllMembers(role) || mine ? await deps.members.get(image.id, member) : null;
	if (!found) throw notFound(SHARING_MESSAGES.memberNotFound(member, image.id));
	return found;
}

/** `GET …/members`: every membership for admins and the owner, a member's own for the rest. */
export async function listMembersV2(deps: MemberDeps, imageId: string): Promise<Member[]> {
	const { image, role } = await sharedImage(deps, imageId);
	const members = await deps.members.list(image.id);
	if (seesAllMembers(role)) return members;
	return members.filter((m) => m.member_id === deps.identity.tenant);
}

/** `GET …/members/{member}`. */
export async function getMemberV2(
	deps: MemberDeps,
	imageId: string,
	member: string,
): Promise<Member> {
	const { image, role } = await sharedImage(deps, imageId, true);
	return visibleMembership(deps, image, role, member);
}

/** `POST …/members`: the owner (or an admin) shares the image; the membership starts pending. */
export async function addMemberV2(
	deps: MemberDeps,
	imageId: string,
	member: string,
): Promise<Member> {
	const { image, role } = await sharedImage(deps, imageId);
	requireMemberAction("add", role, image.id);
	const quota = deps.config.memberQuota;
	const added = await deps.members.add(image.id, member, quota);
	if (added === "duplicate") throw conflict(SHARING_MESSAGES.duplicate(member, image.id));
	if (added === "quota") {
		const count = (await deps.members.list(image.id)).length;
		throw tooLarge(SHARING_MESSAGES.quota(image.id, count + 1, quota));
	}
	if (added === "unshareable") {
		// Deleted or made non-shared meanwhile: answer as a request arriving now would be.
		await sharedImage(deps, imageId);
		throw conflict(MESSAGES.changedConcurrently);
	}
	return added;
}

/** `PUT …/members/{member}`: the member itself (or an admin) answers; never the owner. */
export async function setMemberStatusV2(
	deps: MemberDeps,
	imageId: string,
	member: string,
	status: unknown,
): Promise<Member> {
	const { image, role } = await sharedImage(deps, imageId);
	requireMemberAction("changeStatus", role, image.id);
	await visibleMembership(deps, image, role, member);
	const updated = await deps.members.setStatus(image.id, member, memberStatusOf(status));
	if (!updated) {
		await sharedImage(deps, imageId);
		throw notFound(SHARING_MESSAGES.memberNotFound(member, image.id));
	}
	return updated;
}

/** `DELETE …/members/{member}`: the owner (or an admin) stops sharing; the member cannot. */
export async function removeMemberV2(
	deps: MemberDeps,
	imageId: string,
	member: string,
): Promise<void> {
	const { image, role } = await sharedImage(deps, imageId);
	requireMemberAction("remove", role, image.id);
	if (!(await deps.members.remove(image.id, member))) {
		throw notFound(SHARING_MESSAGES.memberNotFound(member, image.id));
	}
}
