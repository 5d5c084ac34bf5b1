import { LIST_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { BOOLEAN_COLUMNS, PUBLIC_FIELDS } from "../domain/image-fields";
import type { ListQuery } from "../domain/list-query";
import { invalid } from "../domain/refusal";
import type { BriefImage, ImageRecordJson } from "./image-repository";
import { type Bind, memberOfShared, parameters, SORT_EXPRESSIONS } from "./list-sql";

const BRIEF_COLUMNS =
	"images.id, images.name, images.size, images.disk_format, images.container_format, images.checksum";

const BOOLEANS: ReadonlySet<string> = new Set(BOOLEAN_COLUMNS);
/**
 * A detail record built by SQLite as JSON: the fields v1 shows (the field table's public ones,
 * booleans as JSON booleans) and the properties. A 1000-image page then costs the worker no
 * object per row — building the records in JavaScript, then their JSON, took more CPU than the
 * query.
 */
const DETAIL_COLUMNS = `json_object(${PUBLIC_FIELDS.map((field) =>
	BOOLEANS.has(field)
		? `'${field}', json(CASE WHEN images.${field} = 1 THEN 'true' ELSE 'false' END)`
		: `'${field}', images.${field}`,
).join(", ")}, 'properties', json((
	SELECT json_group_object(p.name, p.value) FROM image_properties p WHERE p.image_id = images.id
))) AS record`;

/** Filters that compare a column of the same name for equality. */
const EQUALITY_FILTERS = [
	"name",
	"status",
	"container_format",
	"disk_format",
	"min_ram",
	"min_disk",
	"protected",
] as const;

/** What a tenant may see (contract §9): public, owner-less, its own, and shared with it. */
function visibleTo(tenant: string | null, bind: Bind): string {
	const t = bind(tenant);
	return `(images.is_public = 1 OR images.owner IS NULL OR images.owner = ${t} OR ${memberOfShared(t)})`;
}

/**
 * Which images a list covers before filters (contract §5.1 "Who sees what"). Non-admins' is_public
 * is ignored; an admin's is_public=true (or none sent) means "list as a user of my tenant".
 */
function scope(query: ListQuery, who: Identity, bind: Bind): string | null {
	if (who.isAdmin && query.isPublic === null) return null;
	if (who.isAdmin && query.isPublic === false) return "images.is_public = 0";
	return visibleTo(who.tenant, bind);
}

/** The marker row if the caller may see it: admins any row, others no tombstone (unless changes-since). */
function markerStatement(db: D1Database, query: ListQuery, who: Identity): D1PreparedStatement {
	const { values, bind } = parameters();
	const where = [`images.id = ${bind(query.marker)}`];
	if (!who.isAdmin) {
		where.push(visibleTo(who.tenant, bind));
		if (query.filters.changesSince === undefined) where.push("images.deleted = 0");
	}
	return db.prepare(`SELECT 1 AS found FROM images WHERE ${where.join(" AND ")}`).bind(...values);
}

function pageStatement(
	db: D1Database,
	query: ListQuery,
	who: Identity,
	detail: boolean,
): D1PreparedStatement {
	const { values, bind } = parameters();
	const { filters } = query;
	const where: string[] = [];
	const visible = scope(query, who, bind);
	if (visible) where.push(visible);
	for (const column of EQUALITY_FILTERS) {
		const value = filters[column];
		if (value !== undefined) where.push(`images.${column} = ${bind(value)}`);
	}
	if (filters.size_min !== undefined) where.push(`images.size >= ${bind(filters.size_min)}`);
	if (filters.size_max !== undefined) where.push(`images.size <= ${bind(filters.size_max)}`);
	// Glance lists tombstones and killed images only to a client asking what changed.
	if (filters.changesSince !== undefined) {
		where.push(`images.updated_at > ${bind(filters.changesSince)}`);
	} else {
		where.push("images.deleted = 0", "images.status != 'killed'");
	}
	if (filters.properties.size > 0) {
		// No wanted (key, value) pair may be missing from the image: one parameter for any number.
		const wanted = bind(JSON.stringify(Object.fromEntries(filters.properties)));
		where.push(`NOT EXISTS (SELECT 1 FROM json_each(${wanted}) w WHERE NOT EXISTS (
			SELECT 1 FROM image_properties p
			WHERE p.image_id = images.id AND p.name = w.key AND p.value = w.value
		))`);
	}

	// The requested key, then created_at, then id, all one way (contract §5.1): a total order.
	const keys = [...new Set([query.sortKey, "created_at", "id"] as const)];
	const tuple = keys.map((k) => SORT_EXPRESSIONS[k]).join(", ");
	const dir = query.sortDir === "asc" ? "ASC" : "DESC";
	if (query.marker !== null) {
		// Keyset paging: strictly after the marker's (key, created_at, id) in the chosen order.
		const after = dir === "ASC" ? ">" : "<";
		where.push(
			`(${tuple}) ${after} (SELECT ${tuple} FROM images AS marker WHERE marker.id = ${bind(query.marker)})`,
		);
	}
	const orderBy = keys.map((k) => `${SORT_EXPRESSIONS[k]} ${dir}`).join(", ");
	const sql = `SELECT ${detail ? DETAIL_COLUMNS : BRIEF_COLUMNS} FROM images
		WHERE ${where.join(" AND ")} ORDER BY ${orderBy} LIMIT ${bind(query.limit)}`;
	return db.prepare(sql).bind(...values);
}

/**
 * One page of the images `who` may list, filtered, sorted and after `query.marker`
 * (contract §5.1). Throws a 400 when the marker is not an image the caller can see.
 *
 * One D1 round trip per page, whatever its size: the marker check travels in the same batch as
 * the page, and a detail page's rows are its records, properties included, as JSON.
 */
export function listImages(
	db: D1Database,
	query: ListQuery,
	who: Identity,
	detail: true,
): Promise<ImageRecordJson[]>;
export function listImages(
	db: D1Database,
	query: ListQuery,
	who: Identity,
	detail: false,
): Promise<BriefImage[]>;
export async function listImages(
	db: D1Database,
	query: ListQuery,
	who: Identity,
	detail: boolean,
): Promise<ImageRecordJson[] | BriefImage[]> {
	const page = pageStatement(db, query, who, detail);
	let rows: unknown[];
	if (query.marker === null) {
		rows = (await page.all()).results;
	} else {
		const [marker, result] = await db.batch<unknown>([markerStatement(db, query, who), page]);
		if (marker.results.length === 0) throw invalid(LIST_MESSAGES.markerNotFound, "marker");
		rows = result.results;
	}
	if (!detail) return rows as BriefImage[];
	return (rows as { record: ImageRecordJson }[]).map((row) => row.record);
}
