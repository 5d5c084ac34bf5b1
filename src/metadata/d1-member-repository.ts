import type { Identity } from "../domain/identity";
import { glanceTimestamp } from "../domain/image";
import { type MemberStatus, NEW_MEMBER_STATUS } from "../domain/sharing";
import type {
	AddRefusal,
	Member,
	MemberRepository,
	MembershipRequest,
	SharedImage,
} from "./member-repository";

const IMAGE_IS_LIVE = "EXISTS (SELECT 1 FROM images WHERE id = ?1 AND deleted = 0)";
/** v2 writes: only a shared image takes members (domain/sharing.ts VISIBILITY_RULES). */
const IMAGE_IS_SHARED =
	"EXISTS (SELECT 1 FROM images WHERE id = ?1 AND deleted = 0 AND visibility = 'shared')";
const MEMBER_COLUMNS = "image_id, member, can_share, status, created_at, updated_at";
const UNDER_QUOTA = `(?5 < 0 OR
	(SELECT COUNT(*) FROM image_members WHERE image_id = ?1 AND deleted = 0 AND member != ?2) < ?5)`;

interface MemberRow {
	image_id: string;
	member: string;
	can_share: number;
	status: MemberStatus;
	created_at: string;
	updated_at: string;
}

const toMember = (r: MemberRow): Member => ({
	image_id: r.image_id,
	member_id: r.member,
	can_share: r.can_share === 1,
	status: r.status,
	created_at: r.created_at,
	updated_at: r.updated_at,
});

/**
 * Glance v2's add: a new row, or a removed one revived as new; a live one is left alone (the
 * caller is told it is a duplicate).
 */
const ADD = `INSERT INTO image_members (${MEMBER_COLUMNS})
	SELECT ?1, ?2, 0, ?3, ?4, ?4 WHERE ${IMAGE_IS_SHARED} AND ${UNDER_QUOTA}
	ON CONFLICT (image_id, member) DO UPDATE SET
		can_share = 0, status = ?3, created_at = ?4, updated_at = ?4, deleted = 0, deleted_at = NULL
		WHERE image_members.deleted = 1
	RETURNING ${MEMBER_COLUMNS}`;

/**
 * Insert or update one membership. A new or revived member gets the given can_share or false;
 * a current member keeps its can_share unless one is given (contract §5.7). A revived member is
 * a new membership, as Glance's registry made a new row for it: created now, status pending
 * (v2's acceptance is of one sharing, not of every later one); a current member keeps both.
 */
const UPSERT = `INSERT INTO image_members (image_id, member, can_share, created_at, updated_at)
	SELECT ?1, ?2, IFNULL(?3, 0), ?4, ?4 WHERE ${IMAGE_IS_LIVE} AND ${UNDER_QUOTA}
	ON CONFLICT (image_id, member) DO UPDATE SET
		can_share = CASE WHEN ?3 IS NOT NULL THEN ?3 WHEN image_members.deleted = 1 THEN 0
			ELSE image_members.can_share END,
		status = CASE WHEN image_members.deleted = 1 THEN ?6 ELSE image_members.status END,
		created_at = CASE WHEN image_members.deleted = 1 THEN ?4 ELSE image_members.created_at END,
		deleted = 0, deleted_at = NULL, updated_at = ?4`;

const bit = (value: boolean | undefined) => (value === undefined ? null : value ? 1 : 0);

export class D1MemberRepository implements MemberRepository {
	constructor(private readonly db: D1Database) {}

	async list(imageId: string): Promise<Member[]> {
		const { results } = await this.db
			.prepare(
				`SELECT ${MEMBER_COLUMNS} FROM image_members WHERE image_id = ?1 AND deleted = 0 ORDER BY rowid`,
			)
			.bind(imageId)
			.all<MemberRow>();
		return results.map(toMember);
	}

	async get(imageId: string, member: string): Promise<Member | null> {
		const row = await this.db
			.prepare(
				`SELECT ${MEMBER_COLUMNS} FROM image_members WHERE image_id = ?1 AND member = ?2 AND deleted = 0`,
			)
			.bind(imageId, member)
			.first<MemberRow>();
		return row ? toMember(row) : null;
	}

	async add(imageId: string, member: string, quota: number): Promise<Member | AddRefusal> {
		const row = await this.db
			.prepare(ADD)
			.bind(imageId, member, NEW_MEMBER_STATUS, glanceTimestamp(), quota)
			.first<MemberRow>();
		if (row) return toMember(row);
		// Refused: say why, as the statement's guards saw it.
		const why = await this.db
			.prepare(
				`SELECT ${IMAGE_IS_SHARED} AS shared,
				 EXISTS (SELECT 1 FROM image_members WHERE image_id = ?1 AND member = ?2 AND deleted = 0) AS live`,
			)
			.bind(imageId, member)
			.first<{ shared: number; live: number }>();
		if (!why?.shared) return "unshareable";
		return why.live ? "duplicate" : "quota";
	}

	async setStatus(imageId: string, member: string, status: MemberStatus): Promise<Member | null> {
		const row = await this.db
			.prepare(
				`UPDATE image_members SET status = ?3, updated_at = ?4
				 WHERE image_id = ?1 AND member = ?2 AND deleted = 0 AND ${IMAGE_IS_SHARED}
				 RETURNING ${MEMBER_COLUMNS}`,
			)
			.bind(imageId, member, status, glanceTimestamp())
			.first<MemberRow>();
		return row ? toMember(row) : null;
	}

	async upsert(
		imageId: string,
		member: string,
		canShare: boolean | undefined,
		quota: number,
	): Promise<boolean> {
		const result = await this.db
			.prepare(UPSERT)
			.bind(imageId, member, bit(canShare), glanceTimestamp(), quota, NEW_MEMBER_STATUS)
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
				this.db
					.prepare(UPSERT)
					.bind(imageId, m.member_id, bit(m.can_share), now, -1, NEW_MEMBER_STATUS),
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
