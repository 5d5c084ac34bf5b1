import type { Config } from "../config";
import { SESSION_MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import { glanceTimestamp, IMAGE_KEY_PREFIX, imageIdOfKey, type StoredImage } from "../domain/image";
import { allows, DEAD, LIFECYCLE, takesData } from "../domain/lifecycle";
import type { SweeperQueries } from "../metadata/d1-sweeper-queries";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";

export interface SweepDeps extends LifecycleDeps {
	queries: SweeperQueries;
	config: Config;
}

export interface SweepReport {
	expiredSessions: number;
	staleUploads: number;
	/** Stages and imports given up on (their images queued again, as Glance's import reverts). */
	staleImports: number;
	objectsScanned: number;
	orphanedObjectsDeleted: number;
	reservationsReleased: number;
}

/** Work per run is bounded, so a run fits well inside a scheduled invocation's limits. */
const BATCH = 100;
const OBJECT_PAGE = 500;
const OBJECT_CURSOR = "objects";
const GARBAGE: ReadonlySet<string> = new Set(DEAD);

/** Why the sweeper gave up on a stage or an import. */
function staleReason(image: StoredImage): string {
	if (image.status === LIFECYCLE.import.to) return V2_MESSAGES.importStale;
	return image.size === null ? V2_MESSAGES.stageStale : V2_MESSAGES.stagedNotImported;
}

/**
 * Finishes what crashes and abandoned clients leave behind: expired upload sessions and uploads
 * stuck in saving are expired, stalled stages and imports and staged data never imported are
 * queued again, all through the image lifecycle (which removes their bytes only when
 * that kill took effect); objects whose image is dead or unknown are deleted. Idempotent and
 * bounded per run; the walk over the bucket resumes where the previous run stopped.
 */
export async function sweep(deps: SweepDeps, now: Date = new Date()): Promise<SweepReport> {
	const report: SweepReport = {
		expiredSessions: 0,
		staleUploads: 0,
		staleImports: 0,
		objectsScanned: 0,
		orphanedObjectsDeleted: 0,
		reservationsReleased: 0,
	};
	const lifecycle = new ImageLifecycle(deps);

	for (const session of await deps.sessions.expired(glanceTimestamp(now), BATCH)) {
		const found = await deps.images.find(session.image_id, null);
		if (found && allows("unstage", found.image.status)) {
			// A staging session past its deadline: Glance v2 queues the image again.
			await lifecycle.unstage(found.image, SESSION_MESSAGES.expired);
		} else if (found && takesData(found.image.status)) {
			await lifecycle.expire(found.image, SESSION_MESSAGES.expired);
		} else if (found) {
			// A session its image outlived: only the session's own parts are garbage.
			await lifecycle.abandonSession(found.image);
		} else {
			await deps.sessions.close(session.image_id);
		}
		report.expiredSessions++;
	}

	const staleBefore = glanceTimestamp(
		new Date(now.getTime() - deps.config.staleUploadSeconds * 1000),
	);
	for (const id of await deps.queries.staleUploads(staleBefore, BATCH)) {
		const found = await deps.images.find(id, null);
		if (found && (await lifecycle.expire(found.image, SESSION_MESSAGES.stale))) {
			report.staleUploads++;
		}
	}

	const stagedBefore = glanceTimestamp(
		new Date(now.getTime() - deps.config.sessionTtlSeconds * 1000),
	);
	for (const id of await deps.queries.staleImports(staleBefore, stagedBefore, BATCH)) {
		const found = await deps.images.find(id, null);
		if (found && (await lifecycle.unstage(found.image, staleReason(found.image)))) {
			report.staleImports++;
		}
	}

	const cursor = await deps.queries.cursor(OBJECT_CURSOR);
	const page = await deps.blobs.list(IMAGE_KEY_PREFIX, cursor, OBJECT_PAGE);
	report.objectsScanned = page.keys.length;
	const ids = page.keys.map(imageIdOfKey);
	const statuses = ids.length > 0 ? await deps.queries.statuses(ids) : new Map<string, string>();
	for (const [i, id] of ids.entries()) {
		const status = statuses.get(id);
		if (status === undefined || GARBAGE.has(status)) {
			await deps.blobs.delete(page.keys[i]);
			report.orphanedObjectsDeleted++;
		}
	}
	await deps.queries.setCursor(OBJECT_CURSOR, page.cursor);

	report.reservationsReleased = await deps.queries.releaseLeftoverReservations();
	console.info(JSON.stringify({ level: "info", msg: "sweep finished", ...report }));
	return report;
}
