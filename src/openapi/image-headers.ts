import {
	BOOLEAN_FIELDS,
	HEADER_FIELDS,
	type HeaderField,
	INTEGER_FIELDS,
	MAX_CHECKSUM_LENGTH,
	MAX_NAME_LENGTH,
	TRUE_STRINGS,
} from "../domain/glance-rules";
import { imageMetaEntries } from "../schemas/image-meta";
import { jsonSchemaOf } from "./json-schema";
import type { Json } from "./types";

const LENIENT_TRUE = [...TRUE_STRINGS].join(", ");

/**
 * What each `x-image-meta-<field>` request header means. Typed by HEADER_FIELDS, so a header
 * the codec accepts cannot be left undescribed.
 */
const HEADER_DOCS: Record<HeaderField, string> = {
	name: `Display name, at most ${MAX_NAME_LENGTH} characters. Required at registration.`,
	disk_format:
		"Disk format: one of the configured DISK_FORMATS (default aki, ami, ari, iso, ploop, qcow2, raw, vdi, vhd, vhdx, vmdk). Required at registration; aki/ari/ami must pair with the same container format.",
	container_format:
		"Container format: one of the configured CONTAINER_FORMATS (default aki, ami, ari, bare, docker, ova, ovf). Required at registration.",
	size: "Size of the image data in bytes. When data is sent, what arrives must match (else 400 and the image is killed). On a registration without data, `0` creates an active, empty image (Glance's rule).",
	virtual_size: "Size of the virtual disk in bytes; `None` or empty for unknown.",
	checksum: `MD5 of the image data (hex, at most ${MAX_CHECKSUM_LENGTH} characters). When data is sent, what arrives must hash to it (else 400 and the image is killed).`,
	min_disk: "Disk space in GB a server booted from the image needs.",
	min_ram: "RAM in MB a server booted from the image needs.",
	is_public: `True to make the image visible to every tenant; only admins may (403). Glance's lenient boolean: ${LENIENT_TRUE} (any case) are true, anything else false; \`None\` means not sent.`,
	protected: "True to forbid deleting the image. Same lenient boolean as is_public.",
	owner: "The owning tenant. Only admins may choose it; anyone else's value is ignored.",
	id: "A client-chosen UUID for a new image (409 if it was ever used). Read-only afterwards.",
	status: "Read-only: the server sets the status. Sending a different value is refused (403).",
	os_hash_algo: "Read-only (reported by HEAD; accepted back unchanged).",
	os_hash_value: "Read-only (reported by HEAD; accepted back unchanged).",
	status_reason: "Reported by HEAD for a killed image; accepted back and ignored.",
	created_at: "Validated as a timestamp, then ignored: timestamps are the server's.",
	updated_at: "Validated as a timestamp, then ignored.",
	deleted_at: "Validated as a timestamp, then ignored.",
	deleted: "Ignored.",
	store: "The only store is `r2`; any other value is refused (400).",
	uri: "Accepted and ignored, as Glance did.",
	location: "Refused (400): external image locations are not supported (SSRF history).",
	copy_from: "Refused (400): external sources are not supported (SSRF history).",
};

/** Headers a client should never send: they exist only to be refused or ignored. */
const REFUSED_OR_IGNORED = new Set<HeaderField>([
	"status_reason",
	"location",
	"copy_from",
	"uri",
	"deleted",
	"created_at",
	"updated_at",
	"deleted_at",
]);

/** Required at registration. */
const REGISTRATION_FIELDS = new Set<HeaderField>(["name", "disk_format", "container_format"]);
/** Set by the server; sending another value is refused. */
const READ_ONLY = new Set<HeaderField>(["id", "status", "os_hash_algo", "os_hash_value"]);

const INTEGER_SET: ReadonlySet<string> = new Set(INTEGER_FIELDS);
const BOOLEAN_SET: ReadonlySet<string> = new Set(BOOLEAN_FIELDS);

/** Examples that register a valid image when sent together (tested against the app). */
export const HEADER_EXAMPLES: Partial<Record<HeaderField, string>> = {
	name: "cirros",
	disk_format: "qcow2",
	container_format: "bare",
	min_disk: "1",
	min_ram: "64",
	protected: "False",
	is_public: "False",
};

function headerSchema(field: HeaderField): Json {
	if (INTEGER_SET.has(field)) {
		const entry = imageMetaEntries[field as keyof typeof imageMetaEntries];
		// The same bounds as the JSON form, without its `null` (an empty header means null).
		const schema = jsonSchemaOf(entry) as { anyOf?: Json[] };
		return schema.anyOf?.find((s) => s.type === "integer") ?? { type: "integer", minimum: 0 };
	}
	if (BOOLEAN_SET.has(field)) return { type: "string", examples: ["True", "False"] };
	return { type: "string" };
}

/** The fields a client sets, first; the ones that are refused or ignored, last. */
function byUse(a: HeaderField, b: HeaderField): number {
	const rank = (f: HeaderField) =>
		(REFUSED_OR_IGNORED.has(f) ? 2 : READ_ONLY.has(f) ? 1 : 0) * 100 + HEADER_FIELDS.indexOf(f);
	const first = (f: HeaderField) => (REGISTRATION_FIELDS.has(f) ? -100 : 0);
	return rank(a) + first(a) - (rank(b) + first(b));
}

/** One header parameter per x-image-meta-* field. */
export function imageMetaHeaderParameters(): Json[] {
	return [...HEADER_FIELDS].sort(byUse).map((field) => ({
		name: `x-image-meta-${field}`,
		in: "header",
		required: false,
		description: HEADER_DOCS[field],
		schema: headerSchema(field),
		...(REFUSED_OR_IGNORED.has(field) ? { deprecated: true } : {}),
		...(HEADER_EXAMPLES[field] !== undefined ? { example: HEADER_EXAMPLES[field] } : {}),
	}));
}

/** The rule for free-form properties, which no fixed parameter list can hold. */
export const PROPERTY_HEADERS_DOC =
	"Properties travel as `x-image-meta-property-<key>: <value>` headers, any number of them (up to IMAGE_PROPERTY_QUOTA). Keys are lower-cased and `-` becomes `_`; names and values may be percent-encoded (glanceclient does). An empty value removes the property on update.";

/** The image as response headers (HEAD): one per non-null field, booleans as True/False. */
export function imageMetaResponseHeaders(fields: readonly string[]): Record<string, Json> {
	const headers: Record<string, Json> = {};
	for (const field of fields) {
		if (field === "properties") continue;
		headers[`x-image-meta-${field}`] = {
			description: `The image's ${field}; absent when null.`,
			schema: { type: "string" },
		};
	}
	headers["x-image-meta-property-*"] = {
		description: "One header per property: `x-image-meta-property-<key>: <value>`.",
		schema: { type: "string" },
	};
	return headers;
}
