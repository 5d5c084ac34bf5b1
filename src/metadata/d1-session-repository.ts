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
import type { SessionRepository, StoredPart, UploadSession } from "./session-repository";
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
			.prepare("SELECT * FROM upload_sessions WHERE image_id = ?1")
			.bind(imageId)
			.first<UploadSession>();
	}

	async parts(imageId: string): Promise<StoredPart[]> {
		const { results } = await this.db
			.prepare(
				"SELECT part_number, size, etag FROM upload_parts WHERE image_id = ?1 ORDER BY part_number",
			)
			.bind(imageId)
			.all<StoredPart>();
		return results;
	}

	async savePart(imageId: string, part: StoredPart, expiresAt: string): Promise<boolean> {
		const [saved] = await this.db.batch([
			this.db
				.prepare(
					`INSERT INTO upload_parts (image_id, part_number, size, etag, uploaded_at)
				 SELECT ?1, ?2, ?3, ?4, ?5
				 WHERE EXISTS (SELECT 1 FROM upload_sessions WHERE image_id = ?1 AND state = 'open')
				 AND ${IMAGE_TAKES_PARTS}
				 ON CONFLICT (image_id, part_number) DO UPDATE SET
					size = excluded.size, etag = excluded.etag, uploaded_at = excluded.uploaded_at`,
				)
				.bind(imageId, part.part_number, part.size, part.etag, glanceTimestamp()),
			this.db
				.prepare(
					"UPDATE upload_sessions SET expires_at = ?2 WHERE image_id = ?1 AND state = 'open'",
				)
				.bind(imageId, expiresAt),
		]);
		return saved.meta.changes > 0;
	}

	async markCompleted(imageId: string, purpose: SessionPurpose = "upload"): Promise<string | null> {
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
			this.db
				.prepare(
					`UPDATE upload_sessions SET state = 'verifying' WHERE image_id = ?1 AND state = 'open'
					 AND EXISTS (SELECT 1 FROM images WHERE id = ?1 AND revision = ?2)`,
				)
				.bind(imageId, revision),
		]);
		return image.meta.changes > 0 ? now : null;
	}

	async close(imageId: string): Promise<string | null> {
		const [, closed] = await this.db.batch<{ upload_id: string }>([
			this.db.prepare("DELETE FROM upload_parts WHERE image_id = ?1").bind(imageId),
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
