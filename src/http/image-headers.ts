import {
	BOOLEAN_FIELDS,
	HEADER_FIELDS,
	type HeaderField,
	INTEGER_FIELDS,
	MAX_MIN_VALUE,
	MESSAGES,
	STORES,
	TIMESTAMP_FIELDS,
	TRUE_STRINGS,
} from "../domain/glance-rules";
import type { Image, ImageMetaInput } from "../domain/image";
import { parseIsoTimestamp } from "../domain/time";
import { ApiError } from "./errors";

const badHeader = (message: string, header: string) =>
	new ApiError(400, message, { field: header });

const META_PREFIX = "x-image-meta-";
const PROPERTY_PREFIX = "property-";
const HEADER_FIELD_SET: ReadonlySet<string> = new Set(HEADER_FIELDS);
const INTEGER_SET: ReadonlySet<string> = new Set(INTEGER_FIELDS);
const BOOLEAN_SET: ReadonlySet<string> = new Set(BOOLEAN_FIELDS);
const TIMESTAMP_SET: ReadonlySet<string> = new Set(TIMESTAMP_FIELDS);
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const BOUNDED_SET: ReadonlySet<string> = new Set(["min_disk", "min_ram"]);

/** Headers that ask the server to fetch bytes from elsewhere; we refuse them (SSRF history). */
export const EXTERNAL_SOURCE_HEADERS = ["x-glance-api-copy-from"] as const;

function percentDecode(text: string, header: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		throw badHeader(MESSAGES.badHeader(header), header);
	}
}

function parseInteger(field: string, value: string, header: string): number | null {
	if (value === "") return null;
	// Glance: virtual_size alone also accepts Python's literal None.
	if (field === "virtual_size" && value === "None") return null;
	if (!INTEGER_TEXT.test(value)) throw badHeader(MESSAGES.notInteger(field, value), header);
	const n = Number(value.trim());
	if (n < 0) throw badHeader(MESSAGES.negative(field), header);
	// Python's int() has no upper bound: Glance's database refused every min_disk/min_ram past
	// 32 bits as out of range, however long the number.
	if (BOUNDED_SET.has(field) && BigInt(value.trim()) > BigInt(MAX_MIN_VALUE)) {
		throw badHeader(MESSAGES.outOfRange(field), header);
	}
	if (!Number.isSafeInteger(n)) throw badHeader(MESSAGES.notInteger(field, value), header);
	return n;
}

/**
 * Reads the Glance v1 `x-image-meta-*` request headers (contract §4.1) into an ImageMetaInput.
 * A key is present in the result iff its header was sent; an empty header means null.
 * Names and values are percent-decoded (python-glanceclient quotes both).
 */
export function parseImageMetaHeaders(headers: Headers): ImageMetaInput {
	const meta: Record<string, unknown> = {};
	const properties: Record<string, string | null> = {};
	let sawProperty = false;
	for (const external of EXTERNAL_SOURCE_HEADERS) {
		const uri = headers.get(external);
		if (uri !== null) throw badHeader(MESSAGES.externalSource(uri), external);
	}
	for (const [rawName, rawValue] of headers) {
		if (!rawName.startsWith(META_PREFIX)) continue;
		const rest = percentDecode(rawName.slice(META_PREFIX.length), rawName).toLowerCase();
		const value = percentDecode(rawValue, rawName);
		if (rest.startsWith(PROPERTY_PREFIX)) {
			const key = rest.slice(PROPERTY_PREFIX.length).replaceAll("-", "_");
			if (key === "") throw badHeader(MESSAGES.badHeader(rawName), rawName);
			properties[key] = value === "" ? null : value;
			sawProperty = true;
			continue;
		}
		const field = rest.replaceAll("-", "_");
		if (!HEADER_FIELD_SET.has(field)) throw badHeader(MESSAGES.badHeader(rawName), rawName);
		readField(meta, field as HeaderField, value, rawName);
	}
	if (sawProperty) meta.properties = properties;
	return meta as ImageMetaInput;
}

function readField(
	meta: Record<string, unknown>,
	field: HeaderField,
	value: string,
	header: string,
): void {
	if (INTEGER_SET.has(field)) {
		meta[field] = parseInteger(field, value, header);
		return;
	}
	if (BOOLEAN_SET.has(field)) {
		// glanceclient sends the literal `None` for is_public when --is-public is not given.
		if (value === "None" || value === "") return;
		if (field !== "deleted") meta[field] = TRUE_STRINGS.has(value.trim().toLowerCase());
		return;
	}
	if (TIMESTAMP_SET.has(field)) {
		// Validated like Glance, then ignored: timestamps are the server's.
		if (value !== "" && parseIsoTimestamp(value) === null) {
			throw badHeader(MESSAGES.badTime(field, value), header);
		}
		return;
	}
	switch (field) {
		case "location":
		case "copy_from":
			throw badHeader(MESSAGES.externalSource(value), header);
		case "uri":
			return; // accepted and ignored, as Glance did
		case "store":
			if (value !== "" && !STORES.has(value)) throw badHeader(MESSAGES.invalidStore(value), header);
			return;
		default:
			meta[field] = value === "" ? null : value;
	}
}

/** Core fields reported as x-image-meta-* headers, in Glance's order. */
const RESPONSE_FIELDS = [
	"id",
	"name",
	"status",
	"status_reason",
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
	"created_at",
	"updated_at",
	"deleted_at",
	"deleted",
] as const satisfies readonly (keyof Image)[];

// A header name may only hold RFC 9110 token characters; glanceclient hangs on a raw space.
const TOKEN_CHAR = /[A-Za-z0-9!#$&'*+.^_`|~-]/;
// Glance sent printable ASCII values as they are, '%' included, and glanceclient never decodes
// what it receives: only a value holding anything else is percent-encoded, '%' then too.
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const UNRESERVED_CHAR = /[\x20-\x24\x26-\x7e]/;

const utf8 = new TextEncoder();

function encodeWith(text: string, keep: RegExp): string {
	let out = "";
	for (const ch of text) {
		if (keep.test(ch)) out += ch;
		else
			for (const byte of utf8.encode(ch))
				out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
	}
	return out;
}

function headerValue(value: unknown): string {
	if (typeof value === "boolean") return value ? "True" : "False";
	const text = String(value);
	return PRINTABLE_ASCII.test(text) ? text : encodeWith(text, UNRESERVED_CHAR);
}

/**
 * Writes an image as x-image-meta-* headers (contract §4.2): one per non-null core field and
 * property, booleans as Python's True/False, plus ETag when the checksum is known.
 */
export function imageMetaHeaders(image: Image, headers: Headers = new Headers()): Headers {
	for (const field of RESPONSE_FIELDS) {
		const value = image[field];
		if (value !== null && value !== undefined)
			headers.set(`${META_PREFIX}${field}`, headerValue(value));
	}
	for (const [key, value] of Object.entries(image.properties)) {
		headers.set(
			`${META_PREFIX}${PROPERTY_PREFIX}${encodeWith(key, TOKEN_CHAR)}`,
			headerValue(value),
		);
	}
	if (image.checksum) headers.set("ETag", image.checksum);
	return headers;
}
