import type { ListSortDir, ListSortKey } from "./glance-rules";

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
