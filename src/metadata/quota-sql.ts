import { HOLDING_BYTES, STAGING, TAKING_DATA, UPLOADING } from "../domain/lifecycle";
import { statusList } from "./status-sql";

/**
 * What an image holds against its owner's storage: stored images their size, uploads in
 * progress (saving, or queued with an open session) their reservation.
 */
const HELD = `CASE WHEN status IN (${statusList(HOLDING_BYTES)}) THEN IFNULL(size, 0) ELSE reserved_bytes END`;
const COUNTED = statusList([...TAKING_DATA, ...HOLDING_BYTES]);

/**
 * Bytes held by the owner of image ?1 through its other images. Used inside guarded
 * statements, so checking the quota and reserving are one atomic step.
 */
const OWNER_USAGE = `(SELECT IFNULL(SUM(${HELD}), 0)
	FROM images WHERE owner = (SELECT owner FROM images WHERE id = ?1) AND id != ?1 AND deleted = 0
	AND status IN (${COUNTED}))`;

/** SQL that holds when image ?1's owner can hold `bytes` more for it under `quota` (0: none). */
export function withinQuota(bytes: string, quota: string): string {
	return `(${quota} <= 0 OR (SELECT owner FROM images WHERE id = ?1) IS NULL OR ${OWNER_USAGE} + ${bytes} <= ${quota})`;
}

/** Bytes an owner's images hold (the same sum, for messages). */
export const OWNER_USAGE_BY_OWNER = `SELECT IFNULL(SUM(${HELD}), 0) AS used
	FROM images WHERE owner = ?1 AND deleted = 0 AND status IN (${COUNTED})`;

/** What GET /v2/info/usage reports for owner ?1: stored and staged bytes, image counts. */
export const OWNER_USAGE_REPORT = `SELECT
	IFNULL(SUM(CASE WHEN status IN (${statusList(HOLDING_BYTES)}) THEN IFNULL(size, 0) ELSE 0 END), 0) AS stored,
	IFNULL(SUM(CASE WHEN status IN (${statusList(STAGING)}) THEN reserved_bytes ELSE 0 END), 0) AS staged,
	COUNT(*) AS images,
	IFNULL(SUM(CASE WHEN status IN (${statusList(UPLOADING)}) THEN 1 ELSE 0 END), 0) AS uploading
	FROM images WHERE owner = ?1 AND deleted = 0`;
