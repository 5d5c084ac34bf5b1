import type { Identity } from "../domain/identity";
import type { MemberStatus } from "../domain/sharing";

/**
 * One membership as stored: v1 shows `member_id` and `can_share`, v2 `member_id`, `status` and
 * the timestamps (glance-v2-contract §10: one table behind both views).
 */
export interface Member {
	image_id: string;
	member_id: string;
	can_share: boolean;
	status: MemberStatus;
	/** Glance timestamps (domain/image glanceTimestamp). */
	created_at: string;
	updated_at: string;
}

/** Why a v2 add changed nothing. */
export type AddRefusal = "duplicate" | "quota" | "unshareable";

export interface SharedImage {
	image_id: string;
	can_share: boolean;
}

/** What a replace asks for: `can_share` undefined keeps an existing member's setting. */
export interface MembershipRequest {
	member_id: string;
	can_share?: boolean;
}

/**
 * Image memberships in D1 (contract §5.7, §5.8). Removed memberships stay as rows with
 * deleted = 1, so adding the tenant again revives them. Every write is guarded on the image
 * still existing (not deleted) and on the member quota, in the same statement or batch.
 */
export interface MemberRepository {
	/** Current members of an image in the order they were added. */
	list(imageId: string): Promise<Member[]>;
	/**
	 * Adds or updates one member (reviving a removed one). Returns false, changing nothing, when
	 * adding would pass `quota` members (negative: unlimited) or the image is gone.
	 */
	upsert(
		imageId: string,
		member: string,
		canShare: boolean | undefined,
		quota: number,
	): Promise<boolean>;
	/** Makes the member list exactly `members`, atomically. */
	replace(imageId: string, members: MembershipRequest[]): Promise<void>;
	/** The live membership of `member`, or null. */
	get(imageId: string, member: string): Promise<Member | null>;
	/**
	 * Glance v2's add: a new membership, pending, that cannot share (a removed one is revived as
	 * new). Refused, changing nothing, when `member` is a member already ("duplicate"), when
	 * adding would pass `quota` members (negative: unlimited), or when the image is gone or no
	 * longer shared ("unshareable") — all in the one guarded statement.
	 */
	add(imageId: string, member: string, quota: number): Promise<Member | AddRefusal>;
	/** Sets a live membership's status while the image is live and shared; null otherwise. */
	setStatus(imageId: string, member: string, status: MemberStatus): Promise<Member | null>;
	/** Removes a member; false when it was not one. */
	remove(imageId: string, member: string): Promise<boolean>;
	/**
	 * Memberships of `member` on live images. Non-admins see only rows of images they own or
	 * rows where they themselves are the member.
	 */
	sharedWith(member: string, who: Identity): Promise<SharedImage[]>;
}
