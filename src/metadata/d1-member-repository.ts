import type { Identity } from "../domain/identity";
import { glanceTimestamp } from "../domain/image";
import type { Member, MemberRepository, MembershipRequest, SharedImage } from "./member-repository";

const IMAGE_IS_LIVE = "EXISTS (SELECT 1 FROM images WHERE id = ?1 AND deleted = 0)";

/**
 * Insert or update one membership. A new or revived member gets the given can_share or false;
 * a current member keeps its can_share unless one is given (contract §5.7). A revived member is
 * a new membership, as Glance's registry made a new row for it: created now, status pending
 * (v2's acceptance is of one sharing, not of every later one); a current member keeps both.
 */
const UPSERT = `INSERT INTO image_members (image_id, member, can_share, created_at, updated_at)
	SELECT ?1, ?2, IFNULL(?3, 0), ?4, ?4 WHERE ${IMAGE_IS_LIVE} AND (?5 < 0 OR
		(SELECT COUNT(*) FROM image_members WHERE image_id = ?1 AND deleted = 0 AND member != ?2) < ?5)
	ON CONFLICT (image_id, member) DO UPDATE SET
		can_share = CASE WHEN ?3 IS NOT NULL THEN ?3 WHEN image_members.deleted = 1 THEN 0
			ELSE image_members.can_share END,
		status = CASE WHEN image_members.deleted = 1 THEN 'pending' ELSE image_members.status END,
		created_at = CASE WHEN image_members.deleted = 1 THEN ?4 ELSE image_members.created_at END,
		deleted = 0, deleted_at = NULL, updated_at = ?4`;

const bit = (value: boolean | undefined) => (value === undefined ? null : value ? 1 : 0);

export class D1MemberRepository implements MemberRepository {
	constructor(private readonly db: D1Database) {}

	async list(imageId: string): Promise<Member[]> {
		const { results } = await this.db
			.prepare(
				"SELECT member, can_share FROM image_members WHERE image_id = ?1 AND deleted = 0 ORDER BY rowid",
			)
			.bind(imageId)
			.all<{ member: string; can_share: number }>();
		return results.map((r) => ({ member_id: r.member, can_share: r.can_share === 1 }));
	}

	async upsert(
		imageId: string,
		member: string,
		canShare: boolean | undefined,
		quota: number,
	): Promise<boolean> {
		const result = await this.db
			.prepare(UPSERT)
			.bind(imageId, member, bit(canShare), glanceTimestamp(), quota)
			.run();
		return result.meta.changes > 0;
	}

	async replace(imageId: string, members: MembershipRequest[]): Promise<void> {
		const now = glanceTimestamp();
		const keep = JSON.stringify(members.map((m) => m.member_id));
		const statements = [
			this.db
				.prepare(
					`UPDATE image_members SET deleted = 1, deleted_at = ?2, updated_at = ?2
					 WHERE image_id = ?1 AND deleted = 0 AND member NOT IN (SELECT value FROM json_each(?3))
					 AND ${IMAGE_IS_LIVE}`,
				)
				.bind(imageId, now, keep),
			...members.map((m) =>
				this.db.prepare(UPSERT).bind(imageId, m.member_id, bit(m.can_share), now, -1),
			),
		];
		await this.db.batch(statements);
	}

	async remove(imageId: string, member: string): Promise<boolean> {
		const now = glanceTimestamp();
		const result = await this.db
			.prepare(
				`UPDATE image_members SET deleted = 1, deleted_at = ?3, updated_at = ?3
				 WHERE image_id = ?1 AND member = ?2 AND deleted = 0`,
			)
			.bind(imageId, member, now)
			.run();
		return result.meta.changes > 0;
	}

	async sharedWith(member: string, who: Identity): Promise<SharedImage[]> {
		const { results } = await this.db
			.prepare(
				`SELECT m.image_id, m.can_share FROM image_members m JOIN images i ON i.id = m.image_id
				 WHERE m.member = ?1 AND m.deleted = 0 AND i.deleted = 0
				 AND (?2 = 1 OR i.owner = ?3 OR m.member = ?3)
				 ORDER BY m.rowid`,
			)
			.bind(member, who.isAdmin ? 1 : 0, who.tenant)
			.all<{ image_id: string; can_share: number }>();
		return results.map((r) => ({ image_id: r.image_id, can_share: r.can_share === 1 }));
	}
}
