import * as v from "valibot";
import {
	DEFAULT_LIST_LIMIT,
	DEFAULT_LIST_SORT_DIR,
	DEFAULT_LIST_SORT_KEY,
	LIST_BOOLEAN_VALUES,
	LIST_MESSAGES,
	LIST_PROPERTY_PREFIX,
	LIST_SORT_DIRS,
	LIST_SORT_KEYS,
	MAX_LIST_LIMIT,
} from "../domain/glance-rules";
import { glanceTimestamp } from "../domain/image";
import type { ListQuery } from "../domain/list-query";
import { parseIsoTimestamp } from "../domain/time";
import { canonicalUuid } from "../domain/validate-image-meta";
import { parseOrThrow } from "./validate";

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** What Python's int() accepts (sign, blanks around), which is what Glance used. */
const INTEGER = /^\s*[+-]?\d+\s*$/;

const isNonNegativeInteger = (s: string) => INTEGER.test(s) && Number(s) >= 0;
/** Values beyond the safe range clamp (no image is that big); `|| 0` turns "-0" into 0. */
const toInteger = (s: string) => Math.min(Number(s), Number.MAX_SAFE_INTEGER) || 0;

const badFilter = (filter: string) => (issue: v.BaseIssue<unknown>) =>
	LIST_MESSAGES.badFilter(filter, String(issue.input));

const integerFilter = (filter: string) =>
	v.optional(
		v.pipe(v.string(), v.check(isNonNegativeInteger, badFilter(filter)), v.transform(toInteger)),
	);

const booleanFilter = (filter: string) =>
	v.pipe(
		v.string(),
		v.check((s) => LIST_BOOLEAN_VALUES.has(s.toLowerCase()), badFilter(filter)),
		v.transform((s) => LIST_BOOLEAN_VALUES.get(s.toLowerCase()) ?? null),
	);

/**
 * The list's query parameters. Messages are Glance's and the error names the parameter as its
 * field; when several are bad, the first in this order is reported.
 */
export const ListParamsSchema = v.object({
	name: v.optional(v.string()),
	status: v.optional(v.string()),
	container_format: v.optional(v.string()),
	disk_format: v.optional(v.string()),
	min_ram: integerFilter("min_ram"),
	min_disk: integerFilter("min_disk"),
	size_min: integerFilter("size_min"),
	size_max: integerFilter("size_max"),
	is_public: v.optional(booleanFilter("is_public")),
	// The API layer lets "none" through; the registry then wants a real boolean.
	protected: v.optional(
		v.pipe(booleanFilter("protected"), v.boolean(LIST_MESSAGES.protectedNotBoolean)),
	),
	"changes-since": v.optional(
		v.pipe(
			v.string(),
			v.transform(parseIsoTimestamp),
			v.date(LIST_MESSAGES.changesSince),
			v.transform((date: Date) => glanceTimestamp(date)),
		),
	),
	limit: v.optional(
		v.pipe(
			v.string(),
			v.regex(INTEGER, LIST_MESSAGES.limitNotInteger),
			v.transform(toInteger),
			v.minValue(0, LIST_MESSAGES.limitNegative),
			v.transform((n) => Math.min(n, MAX_LIST_LIMIT)),
		),
		String(DEFAULT_LIST_LIMIT),
	),
	marker: v.optional(
		v.pipe(v.string(), v.regex(UUID_LIKE, LIST_MESSAGES.markerFormat), v.transform(canonicalUuid)),
	),
	sort_key: v.optional(v.picklist(LIST_SORT_KEYS, LIST_MESSAGES.sortKey), DEFAULT_LIST_SORT_KEY),
	sort_dir: v.optional(v.picklist(LIST_SORT_DIRS, LIST_MESSAGES.sortDir), DEFAULT_LIST_SORT_DIR),
});

const PARAM_NAMES = new Set(Object.keys(ListParamsSchema.entries));

/**
 * Reads `GET /v1/images[/detail]` query parameters. Unknown parameters are ignored; a repeated
 * one counts with its last value, as WebOb's `params.get` gave Glance.
 */
export function parseListQuery(search: URLSearchParams): ListQuery {
	const raw: Record<string, string> = {};
	const properties = new Map<string, string>();
	for (const [name, value] of search) {
		if (PARAM_NAMES.has(name)) raw[name] = value;
		else if (name.startsWith(LIST_PROPERTY_PREFIX)) {
			properties.set(name.slice(LIST_PROPERTY_PREFIX.length), value);
		}
	}
	// Glance treats an empty marker as no marker.
	if (raw.marker === "") delete raw.marker;
	const params = parseOrThrow(ListParamsSchema, raw);
	return {
		filters: {
			name: params.name,
			status: params.status,
			container_format: params.container_format,
			disk_format: params.disk_format,
			min_ram: params.min_ram,
			min_disk: params.min_disk,
			size_min: params.size_min,
			size_max: params.size_max,
			protected: params.protected,
			changesSince: params["changes-since"],
			properties,
		},
		isPublic: params.is_public,
		limit: params.limit,
		marker: params.marker ?? null,
		sortKey: params.sort_key,
		sortDir: params.sort_dir,
	};
}
