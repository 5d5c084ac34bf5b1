/** The statuses an image can have through the v1 API (contract §8). */
export const IMAGE_STATUSES = [
	"queued",
	"saving",
	"active",
	"killed",
	"deleted",
	"pending_delete",
	"deactivated",
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

/** An image record as clients see it (contract §3.1, plus Glance v2's multihash fields). */
export interface Image {
	id: string;
	name: string | null;
	status: ImageStatus;
	/** Why an image was killed, in words a user understands; null otherwise. */
	status_reason: string | null;
	size: number | null;
	virtual_size: number | null;
	checksum: string | null;
	os_hash_algo: string | null;
	os_hash_value: string | null;
	disk_format: string | null;
	container_format: string | null;
	min_disk: number;
	min_ram: number;
	is_public: boolean;
	owner: string | null;
	protected: boolean;
	created_at: string;
	updated_at: string;
	deleted_at: string | null;
	deleted: boolean;
	properties: Record<string, string>;
}

/** An image as stored: the public record plus what never leaves the server. */
export interface StoredImage extends Image {
	/** R2 object key reserved for the image's bytes; never exposed except as the r2:// location. */
	object_key: string;
	/** When bytes started arriving; the sweeper kills uploads that stall. */
	upload_started_at: string | null;
	/** Random token replaced by every change; updates apply only if it is still the one read. */
	revision: string;
	/** Bytes an upload in progress holds against the owner's storage quota. */
	reserved_bytes: number;
	/** What content inspection found in the bytes (e.g. qcow2, raw, ova); null before data. */
	detected_format: string | null;
	/** The v2 view's fields, which v1 records do not show. is_public is derived from visibility. */
	visibility: Visibility;
	os_hidden: boolean;
	tags: string[];
}

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
	const {
		object_key: _key,
		upload_started_at: _started,
		revision: _revision,
		reserved_bytes: _reserved,
		detected_format: _detected,
		visibility: _visibility,
		os_hidden: _hidden,
		tags: _tags,
		...rest
	} = image;
	return rest;
}
