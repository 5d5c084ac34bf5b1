import type { ImageStatus } from "../domain/image";
import { glanceTimestamp } from "../domain/image";
import {
	allows,
	LIFECYCLE,
	SESSION_PURPOSES,
	type SessionPurpose,
	TAKING_PARTS,
} from "../domain/lifecycle";
import { withinQuota } from "./quota-sql";
import type {
	HashProgress,
	PartHash,
	PartRecord,
	Predecessor,
	SessionRepository,
	StoredPart,
	UploadSession,
} from "./session-repository";
import { statusList } from "./status-sql";

/**
 * A session takes parts only while its image is where opening a session left it (one status per
 * purpose: an image's session has the purpose its status tells).
 */
const IMAGE_TAKES_PARTS = `EXISTS (SELECT 1 FROM images WHERE id = ?1 AND deleted = 0
	AND status IN (${statusList(TAKING_PARTS)}))`;

const SESSION_COLUMNS = [
	"image_id",
	"upload_id",
	"size",
	"part_size",
	"part_count",
	"checksum",
	"os_hash_value",
	"state",
	"created_at",
	"expires_at",
] as const;

const SESSION_IS_OPEN =
	"EXISTS (SELECT 1 FROM upload_sessions WHERE image_id = ?1 AND state = 'open')";

export class D1SessionRepository implements SessionRepository {
	constructor(private readonly db: D1Database) {}

	async open(
		session: UploadSession,
		quota: number,
		purpose: SessionPurpose = "upload",
	): Promise<"opened" | "exists" | "quota" | "conflict"> {
		const { open, startsAttempt } = SESSION_PURPOSES[purpose];
		const transition = LIFECYCLE[open];
		const revision = crypto.randomUUID();
		// Staged data has no size until all of it is there (as a one-request stage).
		const attempt = startsAttempt
			? ", upload_started_at = ?5, size = NULL, virtual_size = NULL"
			: "";
		const reserve = this.db
			.prepare(
				`UPDATE images SET status = '${transition.to}', reserved_bytes = ?2, revision = ?4,
				 updated_at = ?5${attempt}
				 WHERE id = ?1 AND status IN (${statusList(transition.from)}) AND deleted = 0
				 AND NOT EXISTS (SELECT 1 FROM upload_sessions WHERE image_id = ?1)
				 AND ${withinQuota("?2", "?3")}`,
			)
			.bind(session.image_id, session.size, quota, revision, glanceTimestamp());
		const values = SESSION_COLUMNS.map((c) => session[c]);
		const insert = this.db
			.prepare(
				`INSERT INTO upload_sessions (${SESSION_COLUMNS.join(", ")})
				 SELECT ${SESSION_COLUMNS.map((_, i) => `?${i + 2}`).join(", ")}
				 WHERE EXISTS (SELECT 1 FROM images WHERE id = ?1 AND revision = ?${SESSION_COLUMNS.length + 2})`,
			)
			.bind(session.image_id, ...values, revision);
		const [reserved] = await this.db.batch([reserve, insert]);
		if (reserved.meta.changes > 0) return "opened";
		const state = await this.db
			.prepare(
				`SELECT i.status, i.deleted, s.image_id AS session FROM images i
				 LEFT JOIN upload_sessions s ON s.image_id = i.id WHERE i.id = ?1`,
			)
			.bind(session.image_id)
			.first<{ status: ImageStatus; deleted: number; session: string | null }>();
		if (state?.session) return "exists";
		if (state && allows(open, state.status) && state.deleted === 0) return "quota";
		return "conflict";
	}

	async find(imageId: string): Promise<UploadSession | null> {
		return this.db
			.prepare(`SELECT ${SESSION_COLUMNS.join(", ")} FROM upload_sessions WHERE image_id = ?1`)
			.bind(imageId)
			.first<UploadSession>();
	}

	async parts(imageId: string): Promise<PartRecord[]> {
		const { results } = await this.db
			.prepare(
				`SELECT part_number, size, etag, hash_token, hash_state IS NOT NULL AS hashed
				 FROM upload_parts WHERE image_id = ?1 ORDER BY part_number`,
			)
			.bind(imageId)
			.all<Omit<PartRecord, "hashed"> & { hashed: number }>();
		return results.map((row) => ({ ...row, hashed: row.hashed === 1 }));
	}

	async arrive(imageId: string, n: number): Promise<string> {
		const token = crypto.randomUUID();
		await this.db
			.prepare(
				`INSERT INTO upload_part_arrivals (image_id, part_number, token, started_at)
				 SELECT ?1, ?2, ?3, ?4 WHERE ${SESSION_IS_OPEN}
				 ON CONFLICT (image_id, part_number) DO UPDATE SET
					token = excluded.token, started_at = excluded.started_at, failed_at = NULL`,
			)
			.bind(imageId, n, token, glanceTimestamp())
			.run();
		return token;
	}

	async fail(imageId: string, n: number, token: string): Promise<void> {
		await this.db
			.prepare(
				`UPDATE upload_part_arrivals SET failed_at = ?4
				 WHERE image_id = ?1 AND part_number = ?2 AND token = ?3`,
			)
			.bind(imageId, n, token, glanceTimestamp())
			.run();
	}

	async predecessor(imageId: string, n: number): Promise<Predecessor> {
		const row = await this.db
			.prepare(
				`SELECT ${SESSION_IS_OPEN} AS open,
					p.part_number IS NOT NULL AS stored, p.hash_state, p.hash_token,
					a.started_at AS arriving_since, a.failed_at,
					(?2 <= 1
						OR EXISTS (SELECT 1 FROM upload_parts
							WHERE image_id = ?1 AND part_number = ?2 - 1)
						OR EXISTS (SELECT 1 FROM upload_part_arrivals
							WHERE image_id = ?1 AND part_number = ?2 - 1))
					AND NOT EXISTS (SELECT 1 FROM upload_parts
						WHERE image_id = ?1 AND part_number > ?2 + 1) AS in_order
				 FROM (SELECT ?1 AS image_id, ?2 AS part_number) k
				 LEFT JOIN upload_parts p ON p.image_id = k.image_id AND p.part_number = k.part_number
				 LEFT JOIN upload_part_arrivals a
					ON a.image_id = k.image_id AND a.part_number = k.part_number`,
			)
			.bind(imageId, n - 1)
			.first<{
				open: number;
				stored: number;
				hash_state: string | null;
				hash_token: string | null;
				arriving_since: string | null;
				failed_at: string | null;
				in_order: number;
			}>();
		return {
			open: row?.open === 1,
			stored: row?.stored === 1,
			hashState: row?.hash_state ?? null,
			hashToken: row?.hash_token ?? null,
			arrivingSince: row?.arriving_since ?? null,
			failedAt: row?.failed_at ?? null,
			inOrder: row?.in_order === 1,
		};
	}

	async savePart(
		imageId: string,
		part: StoredPart,
		expiresAt: string,
		hash: PartHash | null,
		arrival: string,
		token: string,
	): Promise<boolean> {
		const [saved] = await this.db.batch([
			// The state counts only if it continued the predecessor as it still is.
			this.db
				.prepare(
					`INSERT INTO upload_parts
						(image_id, part_number, size, etag, uploaded_at, hash_state, hash_token)
				 SELECT ?1, ?2, ?3, ?4, ?5,
					CASE WHEN ?6 IS NOT NULL AND ((?2 = 1 AND ?7 IS NULL) OR EXISTS (
						SELECT 1 FROM upload_parts WHERE image_id = ?1 AND part_number = ?2 - 1
						AND hash_token = ?7 AND hash_state IS NOT NULL)) THEN ?6 END,
					?8
				 WHERE ${SESSION_IS_OPEN} AND ${IMAGE_TAKES_PARTS}
				 ON CONFLICT (image_id, part_number) DO UPDATE SET
					size = excluded.size, etag = excluded.etag, uploaded_at = excluded.uploaded_at,
					hash_token = CASE WHEN upload_parts.hash_state = excluded.hash_state
						THEN upload_parts.hash_token ELSE excluded.hash_token END,
					hash_state = excluded.hash_state`,
				)
				.bind(
					imageId,
					part.part_number,
					part.size,
					part.etag,
					glanceTimestamp(),
					hash?.state ?? null,
					hash?.after ?? null,
					token,
				),
			// Later parts hashed through this part's earlier bytes leave the chain. The same bytes
			// sent again (a retry whose answer was lost) leave the same digests' state and keep
			// the part's token: the parts after it stay.
			this.db
				.prepare(
					`UPDATE upload_parts SET hash_state = NULL
					 WHERE image_id = ?1 AND part_number > ?2 AND hash_state IS NOT NULL
					 AND EXISTS (SELECT 1 FROM upload_parts
						WHERE image_id = ?1 AND part_number = ?2 AND hash_token = ?3)`,
				)
				.bind(imageId, part.part_number, token),
			this.db
				.prepare(
					"DELETE FROM upload_part_arrivals WHERE image_id = ?1 AND part_number = ?2 AND token = ?3",
				)
				.bind(imageId, part.part_number, arrival),
			this.db
				.prepare(
					"UPDATE upload_sessions SET expires_at = ?2 WHERE image_id = ?1 AND state = 'open'",
				)
				.bind(imageId, expiresAt),
		]);
		return saved.meta.changes > 0;
	}

	async markCompleted(
		imageId: string,
		chain: { partNumber: number; token: string; bytes: number } | null,
		declared: { checksum?: string; os_hash_value?: string } = {},
		purpose: SessionPurpose = "upload",
	): Promise<string | null> {
		const transition = LIFECYCLE[SESSION_PURPOSES[purpose].complete];
		const now = glanceTimestamp();
		const revision = crypto.randomUUID();
		const [image] = await this.db.batch([
			this.db
				.prepare(
					`UPDATE images SET status = '${transition.to}', upload_started_at = ?2,
					 updated_at = ?2, revision = ?3
					 WHERE id = ?1 AND status IN (${statusList(transition.from)}) AND deleted = 0
					 AND EXISTS (SELECT 1 FROM upload_sessions WHERE image_id = ?1 AND state = 'open')`,
				)
				.bind(imageId, now, revision),
			// The chain's state, if its last part is still the one completion read.
			this.db
				.prepare(
					`UPDATE upload_sessions SET state = 'verifying',
						checksum = COALESCE(checksum, ?6), os_hash_value = COALESCE(os_hash_value, ?7),
						hash_state = (SELECT hash_state FROM upload_parts
							WHERE image_id = ?1 AND part_number = ?3 AND hash_token = ?4),
						hashed_bytes = CASE WHEN EXISTS (SELECT 1 FROM upload_parts
							WHERE image_id = ?1 AND part_number = ?3 AND hash_token = ?4
							AND hash_state IS NOT NULL) THEN ?5 ELSE 0 END
					 WHERE image_id = ?1 AND state = 'open'
					 AND EXISTS (SELECT 1 FROM images WHERE id = ?1 AND revision = ?2)`,
				)
				.bind(
					imageId,
					revision,
					chain?.partNumber ?? 0,
					chain?.token ?? null,
					chain?.bytes ?? 0,
					declared.checksum ?? null,
					declared.os_hash_value ?? null,
				),
			this.db.prepare("DELETE FROM upload_part_arrivals WHERE image_id = ?1").bind(imageId),
		]);
		return image.meta.changes > 0 ? now : null;
	}

	async progress(imageId: string): Promise<HashProgress | null> {
		const row = await this.db
			.prepare(
				"SELECT hashed_bytes, hash_state FROM upload_sessions WHERE image_id = ?1 AND state = 'verifying'",
			)
			.bind(imageId)
			.first<{ hashed_bytes: number; hash_state: string | null }>();
		return row ? { bytes: row.hashed_bytes, state: row.hash_state } : null;
	}

	async advance(imageId: string, from: number, to: number, state: string): Promise<boolean> {
		const { meta } = await this.db
			.prepare(
				`UPDATE upload_sessions SET hashed_bytes = ?3, hash_state = ?4
				 WHERE image_id = ?1 AND state = 'verifying' AND hashed_bytes = ?2`,
			)
			.bind(imageId, from, to, state)
			.run();
		return meta.changes > 0;
	}

	async close(imageId: string): Promise<string | null> {
		const [, , closed] = await this.db.batch<{ upload_id: string }>([
			this.db.prepare("DELETE FROM upload_parts WHERE image_id = ?1").bind(imageId),
			this.db.prepare("DELETE FROM upload_part_arrivals WHERE image_id = ?1").bind(imageId),
			this.db
				.prepare("DELETE FROM upload_sessions WHERE image_id = ?1 RETURNING upload_id")
				.bind(imageId),
			// A saving image's reservation belongs to its verification, which settles it.
			this.db
				.prepare(
					`UPDATE images SET reserved_bytes = 0
					 WHERE id = ?1 AND status NOT IN (${statusList([LIFECYCLE.completeSession.to])})`,
				)
				.bind(imageId),
		]);
		return closed.results[0]?.upload_id ?? null;
	}

	async expired(now: string, limit: number): Promise<UploadSession[]> {
		const { results } = await this.db
			.prepare(
				"SELECT * FROM upload_sessions WHERE state = 'open' AND expires_at < ?1 ORDER BY expires_at LIMIT ?2",
			)
			.bind(now, limit)
			.all<UploadSession>();
		return results;
	}
}
