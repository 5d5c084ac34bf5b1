import { MAX_MIN_VALUE, MESSAGES } from "./glance-rules";
import type { Image } from "./image";
import { V1_HEADER_FIELDS } from "./image-fields";
import { tooLarge } from "./refusal";

/**
 * HEAD and GET describe an image in x-image-meta-* headers, one per field and property. Glance
 * had no limit on them, but here an image whose headers do not fit is stored and then cannot be
 * read back: workerd and Cloudflare's edge send at most 128 KiB of response head (workerd fails
 * the answer with "header too large" and the client waits for ever), and Python's http.client,
 * under glanceclient, reads at most 100 header lines of at most 65536 bytes each. So the limits
 * are checked when metadata is written, against the headers the image would answer with.
 */

/** Core fields reported as x-image-meta-* headers, in Glance's order. */
export const META_RESPONSE_FIELDS = V1_HEADER_FIELDS;

/**
 * All x-image-meta-* header lines together. 128 KiB less this leaves 32 KiB for the status line,
 * Content-Type, Content-Length, Content-Range, ETag, the request id and what the edge adds.
 */
export const MAX_META_HEADER_BYTES = 96 * 1024;
/** http.client's _MAXLINE: one header line, CRLF included. */
export const MAX_HEADER_LINE_BYTES = 65_536;
/**
 * http.client's _MAXHEADERS is 100 lines, the blank one that ends the head included: 99 headers.
 * Less every core field, our own 6 (Content-Type, Content-Length, Content-Range, Accept-Ranges,
 * ETag, x-openstack-request-id) and 13 for what the edge adds (Date, Server, CF-Ray, Alt-Svc,
 * NEL, Report-To, Connection, ...).
 */
export const MAX_PROPERTIES_FOR_HEADERS = 99 - META_RESPONSE_FIELDS.length - 6 - 13;
/** A killed image's status_reason is the server's words; this much is kept free for them. */
const STATUS_REASON_ALLOWANCE = 2048;

const META_PREFIX = "x-image-meta-";
const PROPERTY_PREFIX = "property-";
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

export const propertyHeaderName = (key: string) =>
	`${META_PREFIX}${PROPERTY_PREFIX}${encodeWith(key, TOKEN_CHAR)}`;

/** The x-image-meta-* headers HEAD and GET answer with: every non-null core field, then properties. */
export function metaHeaderEntries(image: Image): [name: string, value: string][] {
	const entries: [string, string][] = [];
	for (const field of META_RESPONSE_FIELDS) {
		const value = image[field];
		if (value !== null && value !== undefined)
			entries.push([`${META_PREFIX}${field}`, headerValue(value)]);
	}
	for (const [key, value] of Object.entries(image.properties)) {
		entries.push([propertyHeaderName(key), headerValue(value)]);
	}
	return entries;
}

/** `name: value` CRLF, as HTTP/1.1 sends it. */
const lineBytes = ([name, value]: [string, string]) => name.length + value.length + 4;

/** What the caller chooses of the headers; every other field is counted at its longest. */
export type HeaderBudgetImage = Pick<
	Image,
	"name" | "owner" | "disk_format" | "container_format" | "properties"
>;

export interface HeaderBudgetUpdate {
	changes: Partial<Pick<Image, "name" | "owner" | "disk_format" | "container_format">>;
	properties: { purge: boolean; set: Record<string, string>; remove: readonly string[] };
}

const LONGEST_TIME = "2000-01-01T00:00:00.000000";

/** The image at its largest: upload, kill and delete later fill in the server's fields. */
function atLargest(image: HeaderBudgetImage): Image {
	return {
		id: "00000000-0000-0000-0000-000000000000",
		status: "pending_delete",
		status_reason: "x".repeat(STATUS_REASON_ALLOWANCE),
		size: Number.MAX_SAFE_INTEGER,
		virtual_size: Number.MAX_SAFE_INTEGER,
		checksum: "0".repeat(32),
		os_hash_algo: "sha512",
		os_hash_value: "0".repeat(128),
		min_disk: MAX_MIN_VALUE,
		min_ram: MAX_MIN_VALUE,
		is_public: false,
		protected: false,
		created_at: LONGEST_TIME,
		updated_at: LONGEST_TIME,
		deleted_at: LONGEST_TIME,
		deleted: false,
		name: image.name,
		owner: image.owner,
		disk_format: image.disk_format,
		container_format: image.container_format,
		properties: image.properties,
	};
}

/** Bytes of x-image-meta-* header lines the image can answer with, at most. */
export function metaHeaderBytes(image: HeaderBudgetImage): number {
	return metaHeaderEntries(atLargest(image)).reduce((sum, entry) => sum + lineBytes(entry), 0);
}

function afterUpdate(image: HeaderBudgetImage, update: HeaderBudgetUpdate): HeaderBudgetImage {
	const { purge, set, remove } = update.properties;
	const properties = purge ? {} : { ...image.properties };
	for (const key of remove) delete properties[key];
	Object.assign(properties, set);
	return { ...image, ...update.changes, properties };
}

/**
 * Refuses (413) metadata whose headers clients could not read. An update is measured as the
 * image it leaves; one that makes nothing larger passes, so an image stored before these limits
 * can still be trimmed.
 */
export function checkHeaderBudget(image: HeaderBudgetImage, update?: HeaderBudgetUpdate): void {
	const next = update ? afterUpdate(image, update) : image;
	const written = update ? update.properties.set : next.properties;
	for (const [key, value] of Object.entries(written)) {
		if (lineBytes([propertyHeaderName(key), headerValue(value)]) > MAX_HEADER_LINE_BYTES) {
			throw tooLarge(MESSAGES.headerLineTooLong(key, MAX_HEADER_LINE_BYTES), `properties.${key}`);
		}
	}
	const count = Object.keys(next.properties).length;
	const countBefore = update ? Object.keys(image.properties).length : 0;
	if (count > MAX_PROPERTIES_FOR_HEADERS && count > countBefore) {
		throw tooLarge(MESSAGES.tooManyPropertyHeaders(count, MAX_PROPERTIES_FOR_HEADERS));
	}
	const bytes = metaHeaderBytes(next);
	if (bytes > MAX_META_HEADER_BYTES && (!update || bytes > metaHeaderBytes(image))) {
		throw tooLarge(MESSAGES.metaHeadersTooLarge(bytes, MAX_META_HEADER_BYTES));
	}
}
