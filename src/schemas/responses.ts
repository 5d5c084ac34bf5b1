import * as v from "valibot";
import { IMAGE_STATUSES, type Image } from "../domain/image";
import type { SessionView } from "../services/upload-sessions";

/**
 * What the API answers, as valibot schemas: they become the document's response schemas, and the
 * API tests parse real responses with them, so the document cannot describe fields that are not
 * sent or miss ones that are.
 */

const described = <T extends v.GenericSchema>(schema: T, description: string) =>
	v.pipe(schema, v.description(description));

const GLANCE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const timestamp = v.pipe(v.string(), v.regex(GLANCE_TIMESTAMP));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));

const imageEntries = {
	id: described(v.pipe(v.string(), v.uuid()), "The image id (a UUID); never reused."),
	name: described(v.nullable(v.string()), "Display name."),
	status: described(
		v.picklist(IMAGE_STATUSES),
		"queued (registered, no data), saving (data arriving), active, killed (upload failed), deleted, pending_delete, deactivated.",
	),
	status_reason: described(
		v.nullable(v.string()),
		"Why the image was killed (e.g. a checksum or format mismatch); null otherwise.",
	),
	size: described(v.nullable(count), "Size of the image data in bytes."),
	virtual_size: described(v.nullable(count), "Size of the virtual disk, when known."),
	checksum: described(v.nullable(v.string()), "MD5 of the image data (hex)."),
	os_hash_algo: described(v.nullable(v.string()), "`sha512` once the data is stored."),
	os_hash_value: described(v.nullable(v.string()), "SHA-512 of the image data (hex)."),
	disk_format: described(v.nullable(v.string()), "Disk format, e.g. qcow2, raw, iso."),
	container_format: described(v.nullable(v.string()), "Container format, e.g. bare, ovf."),
	min_disk: described(count, "Disk space in GB a server booted from the image needs."),
	min_ram: described(count, "RAM in MB a server booted from the image needs."),
	is_public: described(v.boolean(), "Visible to every tenant (only admins may set it)."),
	owner: described(v.nullable(v.string()), "The tenant that owns the image."),
	protected: described(v.boolean(), "A protected image cannot be deleted."),
	created_at: described(timestamp, "UTC, microseconds, no zone suffix (Glance's format)."),
	updated_at: described(timestamp, "UTC, microseconds, no zone suffix."),
	deleted_at: described(v.nullable(timestamp), "When the image was deleted."),
	deleted: described(v.boolean(), "True for a deleted image (its id stays reserved)."),
	properties: described(v.record(v.string(), v.string()), "Free-form key/value properties."),
} satisfies Record<keyof Image, v.GenericSchema>;

/** An image record (detail list, registration, update). */
export const ImageSchema = v.strictObject(imageEntries);

/** An entry of the brief list. */
export const BriefImageSchema = v.pick(ImageSchema, [
	"id",
	"name",
	"size",
	"disk_format",
	"container_format",
	"checksum",
]);

export const ImageEnvelopeSchema = v.strictObject({ image: ImageSchema });

/** 201/202 of a registration: where the bytes live (or will) and the image. */
export const RegisteredImageSchema = v.strictObject({
	location: described(
		v.pipe(v.string(), v.startsWith("r2://")),
		"`r2://<bucket>/<object key>`: the R2 object reserved for the image data.",
	),
	image: ImageSchema,
});

export const BriefListSchema = v.strictObject({ images: v.array(BriefImageSchema) });
export const DetailListSchema = v.strictObject({ images: v.array(ImageSchema) });

/** The one error shape: glanceclient reads `message`; `field` names what was wrong. */
export const ErrorSchema = v.strictObject({
	error: v.strictObject({
		code: described(v.pipe(v.number(), v.integer()), "The HTTP status."),
		title: described(v.string(), "The status text, e.g. Bad Request."),
		message: described(v.string(), "What went wrong, in Glance's words where Glance had them."),
		field: v.optional(
			described(
				v.string(),
				"The header, JSON key or query parameter at fault, as the client sent it.",
			),
		),
	}),
});

const VersionEntrySchema = v.strictObject({
	id: v.string(),
	status: v.picklist(["CURRENT", "SUPPORTED", "DEPRECATED"]),
	links: v.array(v.strictObject({ rel: v.string(), href: v.string() })),
});

export const VersionsSchema = v.strictObject({ versions: v.array(VersionEntrySchema) });

/** GET /v1: the brief list with a token, `{"version": {...}}` (keystoneauth discovery) without. */
export const BriefListOrVersionSchema = v.union([
	BriefListSchema,
	v.strictObject({ version: VersionEntrySchema }),
]);

export const MemberListSchema = v.strictObject({
	members: v.array(v.strictObject({ member_id: v.string(), can_share: v.boolean() })),
});

export const SharedImagesSchema = v.strictObject({
	shared_images: v.array(v.strictObject({ image_id: v.string(), can_share: v.boolean() })),
});

const healthCheck = v.strictObject({
	status: v.picklist(["ok", "fail"]),
	latency_ms: described(count, "How long the check took."),
	error: v.optional(described(v.string(), "Why the check failed.")),
});

/** `GET /healthz`: one entry per binding. */
export const HealthSchema = v.strictObject({
	status: v.picklist(["ok", "fail"]),
	checks: v.strictObject({ d1: healthCheck, r2: healthCheck }),
});

const sessionEntries = {
	image_id: v.string(),
	size: described(count, "Total size of the image in bytes."),
	part_size: described(count, "Size of every part but the last, which holds the remainder."),
	part_count: described(count, "How many parts make the image; they are numbered from 1."),
	parts: described(v.array(count), "The part numbers stored so far (to resume, send the others)."),
	checksum: described(v.nullable(v.string()), "The MD5 the assembled image must have."),
	os_hash_value: described(v.nullable(v.string()), "The SHA-512 the assembled image must have."),
	state: described(v.string(), "open (taking parts), or verifying (completed)."),
	created_at: v.string(),
	expires_at: described(v.string(), "An open session not completed by then is aborted."),
} satisfies Record<keyof SessionView, v.GenericSchema>;

/** An upload session (the extension for images larger than one request body). */
export const UploadSessionSchema = v.strictObject({ session: v.strictObject(sessionEntries) });

export const UploadedPartSchema = v.strictObject({
	part: v.strictObject({ part_number: count, size: count, etag: v.string() }),
});
