import type { Identity } from "../domain/identity";

export interface Member {
	member_id: string;
	can_share: boolean;
}

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
	/** Removes a member; false when it was not one. */
	remove(imageId: string, member: string): Promise<boolean>;
	/**
	 * Memberships of `member` on live images. Non-admins see only rows of images they own or
	 * rows where they themselves are the member.
	 */
	sharedWith(member: string, who: Identity): Promise<SharedImage[]>;
}
