import { type ImageColumns, PUBLIC_FIELDS, type PublicField } from "./image-fields";

/**
 * The statuses an image can have (contract §8), with Glance v2's interoperable import's own:
 * uploading (staged data) and importing. v1 shows them as they are, as Glance 16 did with its one
 * status column (glance-v2-contract §10).
 */
export const IMAGE_STATUSES = [
	"queued",
	"saving",
	"active",
	"killed",
	"deleted",
	"pending_delete",
	"deactivated",
	"uploading",
	"importing",
] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Who may see an image (Glance v2; v1's is_public is `visibility === "public"`). */
export const VISIBILITIES = ["public", "private", "shared", "community"] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/**
 * The visibility a v1 write of is_public means (glance-v2-contract §10, as Glance 16 mapped it):
 * true → public, false → shared, whatever the image was before.
 */
export const visibilityOfIsPublic = (isPublic: boolean): Visibility =>
	isPublic ? "public" : "shared";

/** An image as stored: every column of the field table, plus its properties and (v2) tags. */
export type StoredImage = Omit<ImageColumns, "status" | "visibility"> & {
	status: ImageStatus;
	visibility: Visibility;
	properties: Record<string, string>;
	tags: string[];
};

/** An image record as clients see it: the stored image less what never leaves the server. */
export type Image = Pick<StoredImage, PublicField | "properties">;

/** What a client asked for, from either the JSON body or the x-image-meta-* headers. */
export interface ImageMetaInput {
	id?: string | null;
	name?: string | null;
	disk_format?: string | null;
	container_format?: string | null;
	size?: number | null;
	virtual_size?: number | null;
	checksum?: string | null;
	min_disk?: number | null;
	min_ram?: number | null;
	is_public?: boolean;
	protected?: boolean;
	owner?: string | null;
	status?: string | null;
	os_hash_algo?: string | null;
	os_hash_value?: string | null;
	/** v2 only: set directly (v1 sets is_public, which maps to a visibility). */
	visibility?: Visibility;
	os_hidden?: boolean;
	tags?: string[];
	/** Property values; null means "remove this property". */
	properties?: Record<string, string | null>;
}

/** Glance's timestamp format: UTC, microseconds, no zone suffix (contract §3.1). */
export function glanceTimestamp(date: Date = new Date()): string {
	return `${date.toISOString().slice(0, 23)}000`;
}

/** Every image's object lives under this prefix. */
export const IMAGE_KEY_PREFIX = "images/";

/** The object key reserved for an image's bytes: derived from the id, which is never reused. */
export function objectKeyFor(imageId: string): string {
	return `${IMAGE_KEY_PREFIX}${imageId}`;
}

/** The image an object key belongs to (the inverse of objectKeyFor). */
export function imageIdOfKey(key: string): string {
	return key.slice(IMAGE_KEY_PREFIX.length);
}

export function publicImage(image: StoredImage): Image {
	const out: Record<string, unknown> = { properties: image.properties };
	for (const field of PUBLIC_FIELDS) out[field] = image[field];
	return out as Image;
}
