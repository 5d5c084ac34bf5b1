import { LIST_MESSAGES, type ListSortKey } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import type { V2ListQuery, V2TimeOperator } from "../domain/list-query";
import { forbidden, invalid } from "../domain/refusal";
import { type ImageRow, rowToImage } from "./image-rows";
import { type Bind, memberOfShared, parameters, SORT_EXPRESSIONS } from "./list-sql";

type DetailRow = ImageRow & { properties_json: string; tags_json: string };

const DETAIL_COLUMNS = `images.*, (
	SELECT json_group_object(p.name, p.value) FROM image_properties p WHERE p.image_id = images.id
) AS properties_json, (
	SELECT json_group_array(t.value) FROM image_tags t WHERE t.image_id = images.id
) AS tags_json`;

const TIME_OPERATORS: Record<V2TimeOperator, string> = {
	gt: ">",
	gte: ">=",
	lt: "<",
	lte: "<=",
	eq: "=",
	neq: "!=",
};

/**
 * Which images a caller may list before filters (glance-v2-contract §6.3): admins every image;
 * others public and community images, their own, and shared images they are a member of with
 * the asked member status. Owner-less images are listed to admins only.
 */
function baseSet(query: V2ListQuery, who: Identity, bind: Bind): string | null {
	if (who.isAdmin) return null;
	const open = "images.visibility IN ('public', 'community')";
	if (who.tenant === null) return `(${open})`;
	const t = bind(who.tenant);
	const status = query.memberStatus === "all" ? "" : `AND m.status = ${bind(query.memberStatus)}`;
	return `(${open} OR images.owner = ${t} OR ${memberOfShared(t, status)})`;
}

/** No visibility asked: others' community images are left out; `all` leaves nothing out. */
function visibilityClause(query: V2ListQuery, who: Identity, bind: Bind): string | null {
	if (query.visibility === "all") return null;
	if (query.visibility !== null) return `images.visibility = ${bind(query.visibility)}`;
	if (who.tenant === null) return "images.visibility != 'community'";
	return `(images.visibility != 'community' OR images.owner = ${bind(who.tenant)})`;
}

/** Whether the marker exists (live) and whether the caller may see it. */
function markerStatement(db: D1Database, marker: string, who: Identity): D1PreparedStatement {
	const { values, bind } = parameters();
	const id = bind(marker);
	let visible = "1";
	if (!who.isAdmin) {
		const open = "visibility IN ('public', 'community') OR owner IS NULL";
		if (who.tenant === null) visible = `(${open})`;
		else {
			const t = bind(who.tenant);
			visible = `(${open} OR owner = ${t} OR ${memberOfShared(t)})`;
		}
	}
	return db
		.prepare(`SELECT ${visible} AS visible FROM images WHERE id = ${id} AND deleted = 0`)
		.bind(...values);
}

function pageStatement(db: D1Database, query: V2ListQuery, who: Identity): D1PreparedStatement {
	const { values, bind } = parameters();
	const where = ["images.deleted = 0", "images.status != 'killed'"];
	const base = baseSet(query, who, bind);
	if (base) where.push(base);
	const visibility = visibilityClause(query, who, bind);
	if (visibility) where.push(visibility);
	where.push(`images.os_hidden = ${query.osHidden ? 1 : 0}`);
	for (const { column, values: wanted } of query.equals) {
		where.push(`images.${column} IN (${wanted.map(bind).join(", ")})`);
	}
	for (const { column, bound, value } of query.ranges) {
		where.push(`images.${column} ${bound === "min" ? ">=" : "<="} ${bind(value)}`);
	}
	for (const { column, op, value } of query.times) {
		where.push(`images.${column} ${TIME_OPERATORS[op]} ${bind(value)}`);
	}
	for (const tag of query.tags) {
		where.push(
			`EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = images.id AND t.value = ${bind(tag)})`,
		);
	}
	if (query.properties.size > 0) {
		const wanted = bind(JSON.stringify(Object.fromEntries(query.properties)));
		where.push(`NOT EXISTS (SELECT 1 FROM json_each(${wanted}) w WHERE NOT EXISTS (
			SELECT 1 FROM image_properties p
			WHERE p.image_id = images.id AND p.name = w.key AND p.value = w.value
		))`);
	}

	// The asked keys, then created_at and id in the first direction: a total order.
	const sort = [...query.sort];
	const firstDir = sort[0]?.dir ?? "desc";
	for (const key of ["created_at", "id"] as const) {
		if (!sort.some((s) => s.key === key)) sort.push({ key, dir: firstDir });
	}
	if (query.marker !== null) {
		// Keyset paging with mixed directions: strictly after the marker in the sort order.
		const m = bind(query.marker);
		const markerValue = (key: ListSortKey) =>
			`(SELECT ${SORT_EXPRESSIONS[key]} FROM images AS marker WHERE marker.id = ${m})`;
		const alternatives = sort.map((s, i) => {
			const equal = sort
				.slice(0, i)
				.map((p) => `${SORT_EXPRESSIONS[p.key]} = ${markerValue(p.key)}`);
			const after = `${SORT_EXPRESSIONS[s.key]} ${s.dir === "asc" ? ">" : "<"} ${markerValue(s.key)}`;
			return `(${[...equal, after].join(" AND ")})`;
		});
		where.push(`(${alternatives.join(" OR ")})`);
	}
	const orderBy = sort
		.map((s) => `${SORT_EXPRESSIONS[s.key]} ${s.dir === "asc" ? "ASC" : "DESC"}`)
		.join(", ");
	const sql = `SELECT ${DETAIL_COLUMNS} FROM images WHERE ${where.join(" AND ")}
		ORDER BY ${orderBy} LIMIT ${bind(query.limit)}`;
	return db.prepare(sql).bind(...values);
}

/** One page of a v2 image list in one D1 round trip (the marker check rides in the batch). */
export async function listImagesV2(
	db: D1Database,
	query: V2ListQuery,
	who: Identity,
): Promise<StoredImage[]> {
	const page = pageStatement(db, query, who);
	let rows: unknown[];
	if (query.marker === null) {
		rows = (await page.all()).results;
	} else {
		const [marker, result] = await db.batch<unknown>([
			markerStatement(db, query.marker, who),
			page,
		]);
		const found = marker.results[0] as { visible: number } | undefined;
		if (!found) throw invalid(LIST_MESSAGES.markerNotFound, "marker");
		if (!found.visible) throw forbidden(LIST_MESSAGES.markerNotFound, "marker");
		rows = result.results;
	}
	return (rows as DetailRow[]).map((row) =>
		rowToImage(row, JSON.parse(row.properties_json), JSON.parse(row.tags_json)),
	);
}
