import { LIFECYCLE, STAGING, TAKING_DATA } from "../domain/lifecycle";
import { statusList } from "./status-sql";

/** The few queries only the sweeper needs. */
export interface SweeperQueries {
	/** Images stuck in saving since before `before`, oldest first. */
	staleUploads(before: string, limit: number): Promise<string[]>;
	/**
	 * Stages and imports given up on, oldest first: imports started before `staleBefore`, stages
	 * that stopped streaming before it (not those a staging session owns: its deadline rules),
	 * and staged data left unimported since before `stagedBefore`.
	 */
	staleImports(staleBefore: string, stagedBefore: string, limit: number): Promise<string[]>;
	/** For each id: the image's status, or nothing when no image has that id. */
	statuses(ids: string[]): Promise<Map<string, string>>;
	/** Reservations left on images that no longer upload (a crash between two statements). */
	releaseLeftoverReservations(): Promise<number>;
	cursor(name: string): Promise<string | null>;
	setCursor(name: string, value: string | null): Promise<void>;
}

/** A reservation is live only on an uploading image, or a queued one with an open session. */
const LEFTOVER_RESERVATION = `status NOT IN (${statusList(TAKING_DATA)})
	OR (status IN (${statusList(LIFECYCLE.openSession.from)})
		AND NOT EXISTS (SELECT 1 FROM upload_sessions s WHERE s.image_id = images.id))`;

export class D1SweeperQueries implements SweeperQueries {
	constructor(private readonly db: D1Database) {}

	async staleUploads(before: string, limit: number): Promise<string[]> {
		const { results } = await this.db
			.prepare(
				`SELECT id FROM images WHERE status = '${LIFECYCLE.startUpload.to}' AND IFNULL(upload_started_at, updated_at) < ?1
				 ORDER BY upload_started_at LIMIT ?2`,
			)
			.bind(before, limit)
			.all<{ id: string }>();
		return results.map((r) => r.id);
	}

	async staleImports(staleBefore: string, stagedBefore: string, limit: number): Promise<string[]> {
		const { results } = await this.db
			.prepare(
				`SELECT id FROM images WHERE status IN (${statusList(STAGING)})
				 AND CASE
					WHEN status = '${LIFECYCLE.import.to}' THEN upload_started_at < ?1
					WHEN size IS NULL THEN upload_started_at < ?1
						AND NOT EXISTS (SELECT 1 FROM upload_sessions s WHERE s.image_id = images.id AND s.state = 'open')
					ELSE upload_started_at < ?2
				 END
				 ORDER BY upload_started_at LIMIT ?3`,
			)
			.bind(staleBefore, stagedBefore, limit)
			.all<{ id: string }>();
		return results.map((r) => r.id);
	}

	async statuses(ids: string[]): Promise<Map<string, string>> {
		const { results } = await this.db
			.prepare("SELECT id, status FROM images WHERE id IN (SELECT value FROM json_each(?1))")
			.bind(JSON.stringify(ids))
			.all<{ id: string; status: string }>();
		return new Map(results.map((r) => [r.id, r.status]));
	}

	async releaseLeftoverReservations(): Promise<number> {
		const result = await this.db
			.prepare(
				`UPDATE images SET reserved_bytes = 0 WHERE reserved_bytes > 0 AND (${LEFTOVER_RESERVATION})`,
			)
			.run();
		return result.meta.changes;
	}

	async cursor(name: string): Promise<string | null> {
		const row = await this.db
			.prepare("SELECT value FROM sweeper_state WHERE name = ?1")
			.bind(name)
			.first<{ value: string }>();
		return row?.value ?? null;
	}

	async setCursor(name: string, value: string | null): Promise<void> {
		if (value === null) {
			await this.db.prepare("DELETE FROM sweeper_state WHERE name = ?1").bind(name).run();
			return;
		}
		await this.db
			.prepare(
				"INSERT INTO sweeper_state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
			)
			.bind(name, value)
			.run();
	}
}
