import type { StoredImage } from "../../domain/image";

/** The statuses the v2 schema lists (Glance 25's enum, v2-only statuses included). */
export const IMAGE_STATUSES_V2 = [
	"queued",
	"saving",
	"active",
	"killed",
	"deleted",
	"uploading",
	"importing",
	"pending_delete",
	"deactivated",
] as const;

/** Schema-image properties whose value may be null; a null stored as "" shows as null. */
const NULLABLE_PROPERTIES: ReadonlySet<string> = new Set(["kernel_id", "ramdisk_id"]);

/** A stored timestamp (`2016-05-10T21:41:41.000000`) as v2 shows it (`2016-05-10T21:41:41Z`). */
export const v2Timestamp = (stored: string) => `${stored.slice(0, 19)}Z`;

export const imagePath = (id: string) => `/v2/images/${id}`;

/**
 * An image as Glance v2 shows it (glance-v2-contract §3.1): the 22 base keys, every one present
 * (null when unset), then the custom properties as top-level strings.
 */
export function v2Image(image: StoredImage): Record<string, unknown> {
	const view: Record<string, unknown> = {};
	for (const [key, value] of Object.entries(image.properties)) {
		view[key] = value === "" && NULLABLE_PROPERTIES.has(key) ? null : value;
	}
	return {
		...view,
		id: image.id,
		name: image.name,
		status: image.status,
		visibility: image.visibility,
		protected: image.protected,
		os_hidden: image.os_hidden,
		checksum: image.checksum,
		os_hash_algo: image.os_hash_algo,
		os_hash_value: image.os_hash_value,
		owner: image.owner,
		// v1 registrations store 0 until data arrives; v2 shows what Glance 16 showed for them.
		size: image.size,
		virtual_size: image.virtual_size,
		container_format: image.container_format,
		disk_format: image.disk_format,
		min_disk: image.min_disk,
		min_ram: image.min_ram,
		tags: image.tags,
		created_at: v2Timestamp(image.created_at),
		updated_at: v2Timestamp(image.updated_at),
		self: imagePath(image.id),
		file: `${imagePath(image.id)}/file`,
		schema: "/v2/schemas/image",
	};
}
