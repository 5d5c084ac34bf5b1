import type { Config } from "../config";
import { requireModifiable } from "../domain/access";
import {
	ACTIVE_IMMUTABLE_FIELDS,
	ACTIVE_IMMUTABLE_STATUSES,
	MESSAGES,
	READ_ONLY_FIELDS,
} from "../domain/glance-rules";
import { checkHeaderBudget } from "../domain/header-budget";
import type { Identity } from "../domain/identity";
import type { ImageMetaInput, StoredImage } from "../domain/image";
import { CHANGEABLE_FIELDS } from "../domain/image-fields";
import { HOLDING_BYTES, LIFECYCLE } from "../domain/lifecycle";
import { conflict, forbidden, invalid } from "../domain/refusal";
import { applyFormatRules, canonicalUuid, checkDeclaredSize } from "../domain/validate-image-meta";
import { relabelRefusal } from "../inspection";
import type {
	ImageChanges,
	ImageLookup,
	ImageRepository,
	PropertyChanges,
} from "../metadata/image-repository";
import { checkPropertyQuota } from "./image-registration";

export interface UpdateDeps {
	images: ImageRepository;
	config: Config;
	identity: Identity;
}

const ACTIVE_IMMUTABLE_STATUS_SET: ReadonlySet<string> = new Set(ACTIVE_IMMUTABLE_STATUSES);

/**
 * The checks of contract §5.5 that depend on the stored image, in Glance's order, except that
 * ownership is checked first so a non-owner learns nothing else about the image.
 * A member of a shared image gets 404 where the reference answered 500 (design.md §2).
 */
export function checkUpdateAllowed(
	found: ImageLookup,
	identity: Identity,
	meta: ImageMetaInput,
): void {
	const { image } = found;
	if (image.deleted) throw forbidden(MESSAGES.updateDeleted);
	requireModifiable(image, identity, found.callerIsMember, MESSAGES.notOwnerUpdate(image.id));
	if (!identity.isAdmin && ACTIVE_IMMUTABLE_STATUS_SET.has(image.status)) {
		for (const field of ACTIVE_IMMUTABLE_FIELDS) {
			if (meta[field] !== undefined && meta[field] !== image[field]) {
				throw forbidden(MESSAGES.modifyActive(field, image.status), field);
			}
		}
	}
	for (const field of READ_ONLY_FIELDS) {
		const sent = meta[field];
		if (sent === undefined) continue;
		const same = field === "id" && sent ? canonicalUuid(sent) === image.id : sent === image[field];
		if (!same) throw forbidden(MESSAGES.modifyReadOnly(field), field);
	}
}

/**
 * Applies a metadata update (contract §5.5) as one compare-and-swap: properties are replaced
 * when `purge` (a PUT without data, unless the client said otherwise) or merged.
 */
export async function updateImageMetadata(
	deps: UpdateDeps,
	found: ImageLookup,
	meta: ImageMetaInput,
	purge: boolean,
): Promise<StoredImage> {
	const { config, identity } = deps;
	const image = found.image;
	applyFormatRules(meta, config);
	checkDeclaredSize(meta.size, config.imageSizeCap, "size");
	checkRelabel(image, meta, config);

	const changes: ImageChanges = {};
	for (const field of CHANGEABLE_FIELDS) {
		if (meta[field] !== undefined) Object.assign(changes, { [field]: meta[field] });
	}
	// Glance: min_* and booleans are never null; an empty header leaves them as they were.
	for (const field of ["min_disk", "min_ram"] as const) {
		if (changes[field] === null) delete changes[field];
	}
	// Glance: only admins may change the owner; anyone else's value is silently dropped.
	if (identity.isAdmin && meta.owner !== undefined) changes.owner = meta.owner;

	const properties = propertyChanges(image, meta.properties ?? {}, purge);
	const count = purge
		? Object.keys(properties.set).length
		: new Set([
				...Object.keys(image.properties).filter((k) => !properties.remove.includes(k)),
				...Object.keys(properties.set),
			]).size;
	// An update that does not add properties passes even if a lowered quota is already exceeded.
	if (count > Object.keys(image.properties).length) checkPropertyQuota(count, config.propertyQuota);
	checkHeaderBudget(image, { changes, properties });

	const updated = await deps.images.update(image.id, image.revision, changes, properties);
	if (!updated) throw conflict(MESSAGES.changedConcurrently);
	return updated;
}

/**
 * Once an image has bytes, its formats describe them: a new disk_format or container_format
 * must pass the format rule the upload passed (what inspection found is kept on the image).
 * While the bytes are arriving, the formats they are being checked against cannot change.
 */
function checkRelabel(image: StoredImage, meta: ImageMetaInput, config: Config): void {
	const disk = meta.disk_format !== undefined ? meta.disk_format : image.disk_format;
	const container =
		meta.container_format !== undefined ? meta.container_format : image.container_format;
	const changed = disk !== image.disk_format || container !== image.container_format;
	if (!changed) return;
	if (image.status === LIFECYCLE.startUpload.to) {
		throw conflict(
			MESSAGES.formatsDuringUpload,
			meta.disk_format !== undefined ? "disk_format" : "container_format",
		);
	}
	if (!HOLDING_BYTES.includes(image.status) || image.detected_format === null) return;
	const refusal = relabelRefusal(
		image.detected_format,
		{ diskFormat: disk, containerFormat: container },
		config,
	);
	if (refusal) throw invalid(refusal.reason, refusal.field);
}

function propertyChanges(
	image: StoredImage,
	sent: Record<string, string | null>,
	purge: boolean,
): PropertyChanges {
	const set: Record<string, string> = {};
	const remove: string[] = [];
	for (const [key, value] of Object.entries(sent)) {
		if (value !== null) set[key] = value;
		else if (key in image.properties) remove.push(key);
	}
	return { purge, set, remove };
}
