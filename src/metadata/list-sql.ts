import type { ListSortKey } from "../domain/glance-rules";
import { toRowValue } from "./image-rows";

/**
 * What each sort key orders by, for both APIs' lists. Nullable columns get a stand-in below
 * every real value, so NULLs sort without error and a marker whose key is NULL still compares.
 * Left unqualified: the marker subquery evaluates the same expressions against the marker's row.
 */
export const SORT_EXPRESSIONS: Record<ListSortKey, string> = {
	name: "IFNULL(name, '')",
	status: "status",
	container_format: "IFNULL(container_format, '')",
	disk_format: "IFNULL(disk_format, '')",
	size: "IFNULL(size, -1)",
	id: "id",
	created_at: "created_at",
	updated_at: "updated_at",
};

export type Bind = (value: unknown) => string;

/** Collects bound values and hands out their numbered placeholders. */
export function parameters(): { values: unknown[]; bind: Bind } {
	const values: unknown[] = [];
	const bind: Bind = (value) => {
		values.push(toRowValue(value));
		return `?${values.length}`;
	};
	return { values, bind };
}

/**
 * `tenant` (a bound parameter) is a live member of the image, which is shared; `also` narrows
 * the membership row (v2's member status). The visibility test sits inside the EXISTS on
 * purpose: beside it, under the lists' ORs, SQLite plans a multi-index OR that reads every
 * shared image and sorts them all, where it otherwise walks the order's index and stops at the
 * limit (a 1000-image page of 10 000 cost 20× as much).
 */
export function memberOfShared(tenant: string, also = ""): string {
	return `EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member = ${tenant}
		AND m.deleted = 0 ${also} AND images.visibility = 'shared')`;
}
