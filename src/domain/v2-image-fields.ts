import { V2_MESSAGES } from "./glance-rules";
import { forbidden } from "./refusal";

/**
 * The v2 view's attributes as data (glance-v2-contract §3.1, §4.2): which a client may write,
 * which are read-only and which names are reserved. A key that is none of these is a custom
 * property.
 */

/** Base attributes a client may set on create and change with PATCH. */
export const V2_WRITABLE_BASE = [
	"name",
	"visibility",
	"protected",
	"os_hidden",
	"min_disk",
	"min_ram",
	"disk_format",
	"container_format",
	"tags",
	"owner",
] as const;
export type V2WritableBase = (typeof V2_WRITABLE_BASE)[number];

/** Attributes the server sets; a PATCH of any of them is refused (403). */
export const V2_READ_ONLY = [
	"created_at",
	"updated_at",
	"status",
	"checksum",
	"size",
	"virtual_size",
	"direct_url",
	"self",
	"file",
	"schema",
	"id",
	"os_hash_algo",
	"os_hash_value",
	"stores",
] as const;

/** On create, these are refused first, as Glance does (then the schema, then the rest). */
export const V2_CREATE_READ_ONLY_FIRST = [
	"direct_url",
	"self",
	"file",
	"schema",
	"stores",
] as const;
/** On create, after the schema: read-only attributes the server sets. */
export const V2_CREATE_READ_ONLY_LATER = [
	"status",
	"checksum",
	"size",
	"virtual_size",
	"created_at",
	"updated_at",
] as const;
/** Accepted on create and dropped (glance-v2-contract §2.3 step 5). */
export const V2_CREATE_IGNORED = ["os_hash_algo", "os_hash_value"] as const;

/** Custom property names Glance keeps for itself. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(["location", "deleted", "deleted_at"]);
const RESERVED_PREFIX = "os_glance";

const WRITABLE: ReadonlySet<string> = new Set(V2_WRITABLE_BASE);
const READ_ONLY: ReadonlySet<string> = new Set(V2_READ_ONLY);

export const isWritableBase = (name: string): name is V2WritableBase => WRITABLE.has(name);
export const isReadOnly = (name: string) => READ_ONLY.has(name);
export const isReserved = (name: string) =>
	RESERVED_NAMES.has(name) || name.startsWith(RESERVED_PREFIX);

/** The PATCH rule of §4.2: read-only and reserved roots are refused whatever the operation. */
export function checkPatchable(name: string): void {
	if (isReadOnly(name)) throw forbidden(V2_MESSAGES.readOnly(name), name);
	if (isReserved(name)) throw forbidden(V2_MESSAGES.reserved(name), name);
	if (name === "locations") throw forbidden(V2_MESSAGES.locationsInvisible, name);
}
