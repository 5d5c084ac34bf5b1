import { type StoredImage, visibilityOfIsPublic } from "../domain/image";
import { ALL_FIELDS, BOOLEAN_COLUMNS, UPDATABLE_FIELDS } from "../domain/image-fields";

/** An `images` row as D1 returns it: the field table's columns, booleans as integers. */
export type ImageRow = {
	[K in keyof StoredImage as K extends "properties" | "tags"
		? never
		: K]: StoredImage[K] extends boolean ? number : StoredImage[K];
};

export interface PropertyRow {
	image_id: string;
	name: string;
	value: string;
}

/** Columns a guarded update may set, in a fixed order (never built from client input). */
export const UPDATABLE_COLUMNS = UPDATABLE_FIELDS;
export type UpdatableColumn = (typeof UPDATABLE_COLUMNS)[number];

export const IMAGE_COLUMNS = ALL_FIELDS;

export function toRowValue(value: unknown): string | number | null {
	if (value === undefined || value === null) return null;
	if (typeof value === "boolean") return value ? 1 : 0;
	return value as string | number;
}

const BOOLEANS: ReadonlySet<string> = new Set(BOOLEAN_COLUMNS);

export function rowToImage(
	row: ImageRow,
	properties: Record<string, string>,
	tags: string[] = [],
): StoredImage {
	const image: Record<string, unknown> = { properties, tags };
	for (const column of ALL_FIELDS) {
		const value = row[column];
		image[column] = BOOLEANS.has(column) ? value === 1 : value;
	}
	return image as StoredImage;
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
