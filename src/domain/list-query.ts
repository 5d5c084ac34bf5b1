import type { ListSortDir, ListSortKey } from "./glance-rules";
import type { Visibility } from "./image";

/** Filters of an image list; every one present must match (contract §5.1). */
export interface ListFilters {
	name?: string;
	status?: string;
	container_format?: string;
	disk_format?: string;
	min_ram?: number;
	min_disk?: number;
	size_min?: number;
	size_max?: number;
	protected?: boolean;
	/** A Glance timestamp; only images updated after it, deleted and killed ones included. */
	changesSince?: string;
	/** `property-<key>=<value>` filters: the image must have every one of them. */
	properties: ReadonlyMap<string, string>;
}

export interface ListQuery {
	filters: ListFilters;
	/** is_public as sent: true, false, null for "none", undefined when absent. Only admins use it. */
	isPublic: boolean | null | undefined;
	limit: number;
	/** Canonical id of the last image of the previous page. */
	marker: string | null;
	sortKey: ListSortKey;
	sortDir: ListSortDir;
}

/** Columns a v2 list filters by equality (`in:` lists allowed); others are custom properties. */
export const V2_EQUALITY_COLUMNS = [
	"name",
	"id",
	"status",
	"container_format",
	"disk_format",
	"owner",
	"checksum",
	"os_hash_value",
	"min_ram",
	"min_disk",
	"size",
	"virtual_size",
	"protected",
] as const;
export type V2EqualityColumn = (typeof V2_EQUALITY_COLUMNS)[number];
/** Integer columns a v2 list bounds with `<column>_min` / `<column>_max`. */
export const V2_RANGE_COLUMNS = ["size", "virtual_size", "min_ram", "min_disk"] as const;
export type V2RangeColumn = (typeof V2_RANGE_COLUMNS)[number];
export const V2_TIME_OPERATORS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;
export type V2TimeOperator = (typeof V2_TIME_OPERATORS)[number];
export const MEMBER_STATUS_FILTERS = ["accepted", "pending", "rejected", "all"] as const;
export type MemberStatusFilter = (typeof MEMBER_STATUS_FILTERS)[number];

/** A v2 image list (glance-v2-contract §6): filters as plain values, several sort keys. */
export interface V2ListQuery {
	limit: number;
	/** Canonical id of the last image of the previous page. */
	marker: string | null;
	/** Sort keys in order; created_at and id are appended as tie-breakers by the repository. */
	sort: { key: ListSortKey; dir: ListSortDir }[];
	/** `column = any of values`. */
	equals: { column: V2EqualityColumn; values: (string | number | boolean)[] }[];
	ranges: { column: V2RangeColumn; bound: "min" | "max"; value: number }[];
	/** Timestamps already in the stored format (domain/image glanceTimestamp). */
	times: { column: "created_at" | "updated_at"; op: V2TimeOperator; value: string }[];
	visibility: Visibility | "all" | null;
	memberStatus: MemberStatusFilter;
	/** true lists only hidden images, false only visible ones. */
	osHidden: boolean;
	/** The image must carry every one. */
	tags: string[];
	properties: ReadonlyMap<string, string>;
}
