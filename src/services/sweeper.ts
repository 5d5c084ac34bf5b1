import type { Config } from "../config";
import { SESSION_MESSAGES } from "../domain/glance-rules";
import { glanceTimestamp } from "../domain/image";
import type { D1SweeperQueries } from "../metadata/d1-sweeper-queries";
import type { ImageRepository } from "../metadata/image-repository";
import type { SessionRepository } from "../metadata/session-repository";
import type { BlobStore } from "../storage/blob-store";
import { failUpload } from "./upload-sessions";

export interface SweepDeps {
	images: ImageRepository;
	sessions: SessionRepository;
	blobs: BlobStore;
	queries: D1SweeperQueries;
	config: Config;
}

export interface SweepReport {
	expiredSessions: number;
	staleUploads: number;
	objectsScanned: number;
	orphanedObjectsDeleted: number;
	reservationsReleased: number;
}

/** Work per run is bounded, so a run fits well inside a scheduled invocation's limits. */
const BATCH = 100;
const OBJECT_PAGE = 500;
const OBJECT_CURSOR = "objects";
const IMAGE_PREFIX = "images/";
/** An object whose image is in one of these statuses is garbage. */
const GARBAGE_STATUSES = new Set(["killed", "deleted"]);

/**
 * Finishes what crashes and abandoned clients leave behind (design.md §4): expired upload
 * sessions and uploads stuck in saving become killed with their bytes removed; objects whose
 * image is killed, deleted or unknown are deleted. Idempotent and bounded per run; the walk
 * over the bucket resumes where the previous run stopped.
 */
export async function sweep(deps: SweepDeps, now: Date = new Date()): Promise<SweepReport> {
	const report: SweepReport = {
		expiredSessions: 0,
		staleUploads: 0,
		objectsScanned: 0,
		orphanedObjectsDeleted: 0,
		reservationsReleased: 0,
	};

	for (const session of await deps.sessions.expired(glanceTimestamp(now), BATCH)) {
		const found = await deps.images.find(session.image_id, null);
		if (found) await failUpload(deps, found.image, SESSION_MESSAGES.expired);
		else await deps.sessions.close(session.image_id);
		report.expiredSessions++;
	}

	const staleBefore = glanceTimestamp(
		new Date(now.getTime() - deps.config.staleUploadSeconds * 1000),
	);
	for (const id of await deps.queries.staleUploads(staleBefore, BATCH)) {
		const found = await deps.images.find(id, null);
		if (found?.image.status === "saving") {
			await failUpload(deps, found.image, SESSION_MESSAGES.stale);
			report.staleUploads++;
		}
	}

	const cursor = await deps.queries.cursor(OBJECT_CURSOR);
	const page = await deps.blobs.list(IMAGE_PREFIX, cursor, OBJECT_PAGE);
	report.objectsScanned = page.keys.length;
	const ids = page.keys.map((key) => key.slice(IMAGE_PREFIX.length));
	const statuses = ids.length > 0 ? await deps.queries.statuses(ids) : new Map<string, string>();
	for (const id of ids) {
		const status = statuses.get(id);
		if (status === undefined || GARBAGE_STATUSES.has(status)) {
			await deps.blobs.delete(`${IMAGE_PREFIX}${id}`);
			report.orphanedObjectsDeleted++;
		}
	}
	await deps.queries.setCursor(OBJECT_CURSOR, page.cursor);

	report.reservationsReleased = await deps.queries.releaseLeftoverReservations();
	console.log(JSON.stringify({ level: "info", msg: "sweep finished", ...report }));
	return report;
}
