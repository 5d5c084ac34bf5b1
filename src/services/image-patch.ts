import type { Config } from "../config";
import { canModify } from "../domain/access";
import { checkPublicize } from "../domain/data-rules";
import { IMAGE_TAG_QUOTA, MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import { checkHeaderBudget } from "../domain/header-budget";
import type { Identity } from "../domain/identity";
import type { StoredImage, Visibility } from "../domain/image";
import { conflict, forbidden, notFound } from "../domain/refusal";
import { isWritableBase, type V2WritableBase } from "../domain/v2-image-fields";
import { applyFormatRules } from "../domain/validate-image-meta";
import type { ImageChanges, ImageLookup, ImageRepository } from "../metadata/image-repository";
import { findVisibleImage } from "./image-lookup";
import { checkPropertyQuota, checkTagQuota } from "./image-registration";

export interface PatchDeps {
	images: ImageRepository;
	config: Config;
	identity: Identity;
}

/** One JSON-patch operation on one attribute, its value already checked against the schema. */
export interface PatchOperation {
	op: "add" | "replace" | "remove";
	/** The attribute: a base one (`name`, `tags`) or a custom property. */
	name: string;
	value?: unknown;
	/** v2.0 patches: `add` of something present is a conflict (v2.1's `add` overwrites). */
	strictAdd: boolean;
}

/** Base attribute values as a PATCH works on them. */
type BaseValues = { [K in V2WritableBase]: unknown };

function baseOf(image: StoredImage): BaseValues {
	return {
		name: image.name,
		visibility: image.visibility,
		protected: image.protected,
		os_hidden: image.os_hidden,
		min_disk: image.min_disk,
		min_ram: image.min_ram,
		disk_format: image.disk_format,
		container_format: image.container_format,
		tags: image.tags,
		owner: image.owner,
	};
}

/**
 * Refuses a caller who may see the image but not change it (v2: always 403, also for members).
 * Exported for the other v2 operations that modify an image.
 */
export function requireOwnerV2(found: ImageLookup, who: Identity, message: string): void {
	if (found.image.deleted) throw notFound(MESSAGES.imageGone(found.image.id));
	if (!canModify(found.image, who)) throw forbidden(message);
}

/**
 * Glance v2's PATCH (glance-v2-contract §4.3): the operations apply in order to one copy of the
 * image, which is saved once (compare-and-swap); any refusal saves nothing.
 */
export async function patchImage(
	deps: PatchDeps,
	imageId: string,
	operations: readonly PatchOperation[],
): Promise<StoredImage> {
	const { identity, config } = deps;
	const found = await findVisibleImage(deps.images, identity, imageId);
	requireOwnerV2(found, identity, V2_MESSAGES.notOwnerModify(found.image.id));
	const image = found.image;
	if (operations.length === 0) return image;

	const base = baseOf(image);
	const properties: Record<string, string> = { ...image.properties };
	for (const { op, name, value, strictAdd } of operations) {
		if (isWritableBase(name)) {
			if (op === "remove") throw forbidden(V2_MESSAGES.baseNotRemovable(name), name);
			if (op === "add" && strictAdd) throw conflict(V2_MESSAGES.propertyPresent(name), name);
			base[name] = value;
			continue;
		}
		const present = name in properties;
		if (op === "remove" || op === "replace") {
			if (!present) throw conflict(V2_MESSAGES.propertyMissing(name), name);
		} else if (strictAdd && present) {
			throw conflict(V2_MESSAGES.propertyPresent(name), name);
		}
		if (op === "remove") delete properties[name];
		// A null value (Nova's `add /kernel_id` of null) is kept as an empty string, which the v2
		// view shows as it shows v1's null properties.
		else properties[name] = value === null || value === undefined ? "" : String(value);
	}

	const changes = baseChanges(image, base, identity, config);
	const tags = [...new Set(base.tags as string[])];
	const tagsChanged =
		tags.length !== image.tags.length || tags.some((t) => !image.tags.includes(t));
	if (tagsChanged) checkTagQuota(tags.length, IMAGE_TAG_QUOTA);

	const set: Record<string, string> = {};
	for (const [key, value] of Object.entries(properties)) {
		if (image.properties[key] !== value) set[key] = value;
	}
	const remove = Object.keys(image.properties).filter((k) => !(k in properties));
	const count = Object.keys(properties).length;
	// As in v1: an update that does not add properties passes a lowered quota.
	if (count > Object.keys(image.properties).length) checkPropertyQuota(count, config.propertyQuota);
	const propertyChanges = { purge: false, set, remove };
	checkHeaderBudget(image, { changes, properties: propertyChanges });

	const updated = await deps.images.update(
		image.id,
		image.revision,
		changes,
		propertyChanges,
		tagsChanged ? tags : undefined,
	);
	if (!updated) throw conflict(MESSAGES.changedConcurrently);
	return updated;
}

/** The base attributes a patch changed, each through its rule. */
function baseChanges(
	image: StoredImage,
	base: BaseValues,
	identity: Identity,
	config: Config,
): ImageChanges {
	const changes: ImageChanges = {};
	const changed = (k: V2WritableBase) => base[k] !== baseOf(image)[k];
	if (changed("owner")) {
		if (!identity.isAdmin) throw forbidden(V2_MESSAGES.ownerNonAdmin, "owner");
		changes.owner = base.owner as string | null;
	}
	if (changed("visibility")) {
		checkPublicize({ visibility: base.visibility as Visibility }, identity);
		changes.visibility = base.visibility as Visibility;
	}
	for (const key of ["disk_format", "container_format"] as const) {
		if (!changed(key)) continue;
		if (image.status !== "queued") throw forbidden(V2_MESSAGES.formatOnlyQueued(key), key);
		changes[key] = base[key] as string | null;
	}
	if (changes.disk_format != null || changes.container_format != null) {
		const formats = {
			...(changes.disk_format != null ? { disk_format: changes.disk_format } : {}),
			...(changes.container_format != null ? { container_format: changes.container_format } : {}),
		};
		applyFormatRules(formats, config);
	}
	if (changed("name")) changes.name = base.name as string | null;
	for (const key of ["protected", "os_hidden"] as const) {
		if (changed(key)) changes[key] = base[key] as boolean;
	}
	for (const key of ["min_disk", "min_ram"] as const) {
		if (changed(key)) changes[key] = base[key] as number;
	}
	return changes;
}
