import {
	type ImageStatus,
	type StoredImage,
	type Visibility,
	visibilityOfIsPublic,
} from "../domain/image";

/** An `images` row as D1 returns it (booleans are integers). */
export interface ImageRow {
	id: string;
	name: string | null;
	status: ImageStatus;
	size: number | null;
	virtual_size: number | null;
	checksum: string | null;
	os_hash_algo: string | null;
	os_hash_value: string | null;
	disk_format: string | null;
	container_format: string | null;
	min_disk: number;
	min_ram: number;
	is_public: number;
	owner: string | null;
	protected: number;
	object_key: string;
	status_reason: string | null;
	upload_started_at: string | null;
	revision: string;
	reserved_bytes: number;
	detected_format: string | null;
	visibility: Visibility;
	os_hidden: number;
	created_at: string;
	updated_at: string;
	deleted_at: string | null;
	deleted: number;
}

export interface PropertyRow {
	image_id: string;
	name: string;
	value: string;
}

/** Columns a guarded update may set, in a fixed order (never built from client input). */
export const UPDATABLE_COLUMNS = [
	"name",
	"status",
	"size",
	"virtual_size",
	"checksum",
	"os_hash_algo",
	"os_hash_value",
	"disk_format",
	"container_format",
	"min_disk",
	"min_ram",
	"is_public",
	"owner",
	"protected",
	"status_reason",
	"upload_started_at",
	"updated_at",
	"deleted_at",
	"deleted",
	"revision",
	"reserved_bytes",
	"detected_format",
	"visibility",
	"os_hidden",
] as const;
export type UpdatableColumn = (typeof UPDATABLE_COLUMNS)[number];

export const IMAGE_COLUMNS = [
	"id",
	...UPDATABLE_COLUMNS.filter((c) => c !== "updated_at"),
	"object_key",
	"created_at",
	"updated_at",
] as const;

export function toRowValue(value: unknown): string | number | null {
	if (value === undefined || value === null) return null;
	if (typeof value === "boolean") return value ? 1 : 0;
	return value as string | number;
}

export function rowToImage(
	row: ImageRow,
	properties: Record<string, string>,
	tags: string[] = [],
): StoredImage {
	return {
		id: row.id,
		name: row.name,
		status: row.status,
		size: row.size,
		virtual_size: row.virtual_size,
		checksum: row.checksum,
		os_hash_algo: row.os_hash_algo,
		os_hash_value: row.os_hash_value,
		disk_format: row.disk_format,
		container_format: row.container_format,
		min_disk: row.min_disk,
		min_ram: row.min_ram,
		is_public: row.is_public === 1,
		owner: row.owner,
		protected: row.protected === 1,
		created_at: row.created_at,
		updated_at: row.updated_at,
		deleted_at: row.deleted_at,
		deleted: row.deleted === 1,
		properties,
		object_key: row.object_key,
		status_reason: row.status_reason,
		upload_started_at: row.upload_started_at,
		revision: row.revision,
		reserved_bytes: row.reserved_bytes,
		detected_format: row.detected_format,
		visibility: row.visibility,
		os_hidden: row.os_hidden === 1,
		tags,
	};
}

/**
 * The columns a change writes, with v1's is_public and v2's visibility kept as one fact
 * (glance-v2-contract §10): a write of either sets both.
 */
export function withVisibilityPair<
	T extends Partial<Pick<StoredImage, "is_public" | "visibility">>,
>(changes: T): T {
	if (changes.visibility !== undefined) {
		return { ...changes, is_public: changes.visibility === "public" };
	}
	if (changes.is_public !== undefined) {
		return { ...changes, visibility: visibilityOfIsPublic(changes.is_public) };
	}
	return changes;
}

export function propertiesFrom(rows: readonly Pick<PropertyRow, "name" | "value">[]) {
	const props: Record<string, string> = {};
	for (const r of rows) props[r.name] = r.value;
	return props;
}

/** D1 allows at most 100 bound parameters per statement; property inserts use 3 per row. */
export const PROPERTY_ROWS_PER_STATEMENT = 33;
