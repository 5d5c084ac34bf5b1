import {
	DEFAULT_LIST_LIMIT,
	LIST_MESSAGES,
	LIST_SORT_DIRS,
	LIST_SORT_KEYS,
	type ListSortDir,
	type ListSortKey,
	MAX_LIST_LIMIT,
} from "../../domain/glance-rules";
import { glanceTimestamp, VISIBILITIES, type Visibility } from "../../domain/image";
import {
	MEMBER_STATUS_FILTERS,
	type MemberStatusFilter,
	V2_EQUALITY_COLUMNS,
	V2_RANGE_COLUMNS,
	V2_TIME_OPERATORS,
	type V2EqualityColumn,
	type V2ListQuery,
	type V2RangeColumn,
	type V2TimeOperator,
} from "../../domain/list-query";
import { invalid } from "../../domain/refusal";
import { canonicalUuid } from "../../domain/validate-image-meta";

const INTEGER_COLUMNS: ReadonlySet<string> = new Set([
	"min_ram",
	"min_disk",
	"size",
	"virtual_size",
]);
/** Parameters that are not filters. */
const CONTROL = new Set(["limit", "marker", "sort", "sort_key", "sort_dir"]);
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** `in:a,b,"c,d"` → the values; double quotes protect commas (Glance's split_filter_value_for_quotes). */
function splitIn(list: string): string[] {
	const values: string[] = [];
	let current = "";
	let quoted = false;
	for (const ch of list) {
		if (ch === '"') quoted = !quoted;
		else if (ch === "," && !quoted) {
			values.push(current);
			current = "";
		} else current += ch;
	}
	values.push(current);
	return values;
}

/** `op:value` as Glance's split_filter_op: a prefix before the first colon, if any. */
function equalityValues(raw: string): string[] {
	const colon = raw.indexOf(":");
	if (colon < 0) return [raw];
	const op = raw.slice(0, colon);
	const rest = raw.slice(colon + 1);
	if (op === "eq") return [rest];
	if (op === "in") return splitIn(rest);
	throw invalid(`Unable to filter by unknown operator '${op}'.`);
}

function integer(raw: string, message: string): number {
	if (!/^-?\d+$/.test(raw.trim())) throw invalid(message);
	return Number(raw);
}

function timeFilter(column: "created_at" | "updated_at", raw: string) {
	const colon = raw.indexOf(":");
	const maybeOp = colon < 0 ? "" : raw.slice(0, colon);
	let op: V2TimeOperator = "eq";
	let value = raw;
	if ((V2_TIME_OPERATORS as readonly string[]).includes(maybeOp)) {
		op = maybeOp as V2TimeOperator;
		value = raw.slice(colon + 1);
	} else if (/^[a-z]+$/.test(maybeOp)) {
		throw invalid(`Invalid operator ${maybeOp} for ${column}.`);
	}
	const date = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
	if (Number.isNaN(date.getTime())) {
		throw invalid(`Bad "${column}" query filter format. Use ISO 8601 DateTime notation.`);
	}
	return { column, op, value: glanceTimestamp(date) };
}

function sortFromNewSyntax(raw: string): V2ListQuery["sort"] {
	return raw.split(",").map((part) => {
		const [key, dir = "desc", ...extra] = part.trim().split(":");
		if (extra.length > 0) throw invalid(`Invalid sort value: ${part}`);
		return { key: sortKey(key.trim()), dir: sortDir(dir.trim()) };
	});
}

function sortKey(key: string): ListSortKey {
	if (!(LIST_SORT_KEYS as readonly string[]).includes(key)) {
		throw invalid(
			`Invalid sort key: ${key}. It must be one of the following: ${LIST_SORT_KEYS.join(", ")}.`,
		);
	}
	return key as ListSortKey;
}

function sortDir(dir: string): ListSortDir {
	if (!(LIST_SORT_DIRS as readonly string[]).includes(dir)) {
		throw invalid(`Invalid sort direction: ${dir}`);
	}
	return dir as ListSortDir;
}

function sortOf(params: URLSearchParams): V2ListQuery["sort"] {
	const keys = params.getAll("sort_key");
	const dirs = params.getAll("sort_dir");
	const sort = params.get("sort");
	if (sort !== null) {
		if (keys.length > 0 || dirs.length > 0) {
			throw invalid("Old and new sorting syntax cannot be combined");
		}
		return sortFromNewSyntax(sort);
	}
	if (keys.length === 0) {
		return [{ key: "created_at", dir: dirs.length > 0 ? sortDir(dirs[0]) : "desc" }];
	}
	if (dirs.length > 1 && dirs.length !== keys.length) {
		throw invalid("Number of sort dirs does not match the number of sort keys");
	}
	return keys.map((key, i) => ({
		key: sortKey(key),
		dir: sortDir(dirs.length > 1 ? dirs[i] : (dirs[0] ?? "desc")),
	}));
}

/** `GET /v2/images` parameters as a list query (glance-v2-contract §6.1). */
export function parseV2ListQuery(params: URLSearchParams): V2ListQuery {
	const query: V2ListQuery = {
		limit: DEFAULT_LIST_LIMIT,
		marker: null,
		sort: sortOf(params),
		equals: [],
		ranges: [],
		times: [],
		visibility: null,
		memberStatus: "accepted",
		osHidden: false,
		tags: params.getAll("tag"),
		properties: new Map(),
	};
	const limit = params.get("limit");
	if (limit !== null) {
		const n = integer(limit, LIST_MESSAGES.limitNotInteger);
		if (n < 0) throw invalid(LIST_MESSAGES.limitNegative);
		query.limit = Math.min(n, MAX_LIST_LIMIT);
	}
	const marker = params.get("marker");
	if (marker !== null) {
		if (!UUID.test(marker)) throw invalid(LIST_MESSAGES.markerNotFound, "marker");
		query.marker = canonicalUuid(marker);
	}
	const properties = new Map<string, string>();
	for (const [key, raw] of params) {
		if (CONTROL.has(key) || key === "tag") continue;
		if (key === "changes-since") {
			throw invalid('The "changes-since" filter is no longer available on v2.');
		}
		if (key === "visibility") {
			if (raw !== "all" && !(VISIBILITIES as readonly string[]).includes(raw)) {
				throw invalid(`Invalid visibility value: ${raw}`);
			}
			query.visibility = raw as Visibility | "all";
		} else if (key === "member_status") {
			if (!(MEMBER_STATUS_FILTERS as readonly string[]).includes(raw)) {
				throw invalid(`Invalid status: ${raw}`);
			}
			query.memberStatus = raw as MemberStatusFilter;
		} else if (key === "os_hidden") {
			const value = raw.toLowerCase();
			if (value !== "true" && value !== "false") {
				throw invalid(
					`Invalid value '${raw}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`,
				);
			}
			query.osHidden = value === "true";
		} else if (key === "protected") {
			if (raw !== "true" && raw !== "false") {
				throw invalid(
					`Invalid value '${raw}' for 'protected' filter. Valid values are 'true' or 'false'.`,
				);
			}
			query.equals.push({ column: "protected", values: [raw === "true"] });
		} else if (key === "created_at" || key === "updated_at") {
			query.times.push(timeFilter(key, raw));
		} else if (key.endsWith("_min") || key.endsWith("_max")) {
			const column = key.slice(0, -4);
			if (!(V2_RANGE_COLUMNS as readonly string[]).includes(column)) {
				throw invalid(`Unable to filter on a range with ${key}.`);
			}
			const value = integer(raw, "Unable to filter on a range with a non-numeric value.");
			query.ranges.push({
				column: column as V2RangeColumn,
				bound: key.endsWith("_min") ? "min" : "max",
				value,
			});
		} else if ((V2_EQUALITY_COLUMNS as readonly string[]).includes(key)) {
			const column = key as V2EqualityColumn;
			const values = equalityValues(raw);
			query.equals.push({
				column,
				values: INTEGER_COLUMNS.has(column)
					? values.map((v) => integer(v, `Bad value passed to filter ${key} got ${v}`))
					: column === "id"
						? values.map((v) => (UUID.test(v) ? canonicalUuid(v) : v))
						: values,
			});
		} else {
			properties.set(key, raw);
		}
	}
	query.properties = properties;
	return query;
}

/** `first`/`next` links: the request's query minus marker, form-encoded, relative to /v2/. */
export function listLinks(params: URLSearchParams, lastId: string | null, pageFull: boolean) {
	const kept = new URLSearchParams();
	for (const [key, value] of params) if (key !== "marker") kept.append(key, value);
	const first = kept.size > 0 ? `/v2/images?${kept.toString()}` : "/v2/images";
	if (!pageFull || lastId === null) return { first };
	const next = new URLSearchParams(kept);
	next.append("marker", lastId);
	return { first, next: `/v2/images?${next.toString()}` };
}
