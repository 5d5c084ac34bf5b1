import type { Config } from "../config";
import { checkPublicize, requireFormatsForData } from "../domain/data-rules";
import { IMAGE_TAG_QUOTA, MESSAGES } from "../domain/glance-rules";
import { checkHeaderBudget } from "../domain/header-budget";
import type { Identity } from "../domain/identity";
import {
	glanceTimestamp,
	type ImageMetaInput,
	objectKeyFor,
	type StoredImage,
	visibilityOfIsPublic,
} from "../domain/image";
import { conflict, invalid, tooLarge } from "../domain/refusal";
import { applyFormatRules, canonicalUuid, checkDeclaredSize } from "../domain/validate-image-meta";
import { DuplicateImageError, type ImageRepository } from "../metadata/image-repository";

export interface RegistrationDeps {
	images: ImageRepository;
	config: Config;
	identity: Identity;
}

/** More tags than the configured quota → 413 (Glance's image_tag_quota; negative = unlimited). */
export function checkTagQuota(count: number, quota: number): void {
	if (quota >= 0 && count > quota) throw tooLarge(MESSAGES.tagQuota(count, quota));
}

/** More properties than the configured quota → 413 with Glance's message (negative = unlimited). */
export function checkPropertyQuota(count: number, quota: number): void {
	if (quota >= 0 && count > quota) throw tooLarge(MESSAGES.propertyQuota(count, quota));
}

/**
 * Validates a v1 registration and stores it as a new image (contract §5.2, design.md §1).
 * Every check runs before the single insert, so a refused registration writes nothing.
 * name, disk_format and container_format are required (design.md §2).
 */
export async function registerImage(
	deps: RegistrationDeps,
	meta: ImageMetaInput,
): Promise<StoredImage> {
	const { config } = deps;
	applyFormatRules(meta, config);
	if (meta.name == null) throw invalid(MESSAGES.notSpecified("Image name"), "name");
	requireFormatsForData(meta.disk_format, meta.container_format);
	checkDeclaredSize(meta.size, config.imageSizeCap, "size");
	return insertNewImage(deps, meta);
}

/**
 * The part of a registration both APIs share: publicize and quota rules, then one insert of a
 * queued image. v1 requires name and formats before this (registerImage); v2 requires nothing
 * (image-create-v2.ts). A v1 registration's size is 0 until data arrives; a v2 one's is null.
 */
export async function insertNewImage(
	deps: RegistrationDeps,
	meta: ImageMetaInput,
	options: { unknownSize?: boolean } = {},
): Promise<StoredImage> {
	const { config, identity } = deps;
	checkPublicize(meta, identity);
	const properties: Record<string, string> = {};
	for (const [key, value] of Object.entries(meta.properties ?? {})) {
		if (value !== null) properties[key] = value;
	}
	checkPropertyQuota(Object.keys(properties).length, config.propertyQuota);
	const tags = [...new Set(meta.tags ?? [])];
	checkTagQuota(tags.length, IMAGE_TAG_QUOTA);

	const id = meta.id ? canonicalUuid(meta.id) : crypto.randomUUID();
	const now = glanceTimestamp();
	const visibility = meta.visibility ?? visibilityOfIsPublic(meta.is_public ?? false);
	const image: StoredImage = {
		id,
		name: meta.name ?? null,
		status: "queued",
		size: options.unknownSize ? (meta.size ?? null) : (meta.size ?? 0),
		virtual_size: meta.virtual_size ?? null,
		checksum: meta.checksum ?? null,
		os_hash_algo: null,
		os_hash_value: null,
		disk_format: meta.disk_format ?? null,
		container_format: meta.container_format ?? null,
		min_disk: meta.min_disk ?? 0,
		min_ram: meta.min_ram ?? 0,
		is_public: visibility === "public",
		// Glance v1: only admins may choose the owner; anyone else's value is silently ignored
		// (v2 refuses a foreign owner before this: data-rules checkOwnerOnCreate).
		owner: identity.isAdmin && meta.owner !== undefined ? meta.owner : identity.tenant,
		protected: meta.protected ?? false,
		created_at: now,
		updated_at: now,
		deleted_at: null,
		deleted: false,
		properties,
		object_key: objectKeyFor(id),
		status_reason: null,
		upload_started_at: null,
		revision: crypto.randomUUID(),
		reserved_bytes: 0,
		import_task_id: null,
		detected_format: null,
		visibility,
		os_hidden: meta.os_hidden ?? false,
		tags,
	};
	checkHeaderBudget(image);
	try {
		await deps.images.insert(image);
	} catch (err) {
		if (err instanceof DuplicateImageError) throw conflict(MESSAGES.duplicateId(id));
		throw err;
	}
	return image;
}
