/**
 * Glance v1's rules as data, in one place (contract §4, §6, §7, §9).
 * Handlers and services look things up here instead of repeating `if`s.
 */

/** x-image-meta-<field> names the v1 API accepts (after dash → underscore); anything else is a 400. */
export const HEADER_FIELDS = [
	"location",
	"size",
	"is_public",
	"disk_format",
	"container_format",
	"name",
	"status",
	"copy_from",
	"uri",
	"checksum",
	"created_at",
	"updated_at",
	"deleted_at",
	"min_ram",
	"min_disk",
	"owner",
	"store",
	"id",
	"protected",
	"deleted",
	"virtual_size",
	// Ours: HEAD reports the multihash, so a client echoing HEAD's headers back must not get a 400.
	"os_hash_algo",
	"os_hash_value",
	// Ours, reported on killed images; accepted back and ignored.
	"status_reason",
] as const;
export type HeaderField = (typeof HEADER_FIELDS)[number];

// The kinds and rules of the record's own fields come from its field table.
export {
	ACTIVE_IMMUTABLE_FIELDS,
	BOOLEAN_FIELDS,
	INTEGER_FIELDS,
	READ_ONLY_FIELDS,
	TIMESTAMP_FIELDS,
} from "./image-fields";

/** Glance's lenient boolean: these strings (any case) are true, every other string is false. */
export const TRUE_STRINGS = new Set(["true", "1", "yes", "on", "y", "t"]);

/** The statuses in which only admins may change the fields marked active-immutable. */
export const ACTIVE_IMMUTABLE_STATUSES = ["active", "deactivated"] as const;

export const DEFAULT_DISK_FORMATS = [
	"ami",
	"ari",
	"aki",
	"vhd",
	"vhdx",
	"vmdk",
	"raw",
	"qcow2",
	"vdi",
	"iso",
	"ploop",
] as const;
export const DEFAULT_CONTAINER_FORMATS = [
	"ami",
	"ari",
	"aki",
	"bare",
	"ovf",
	"ova",
	"docker",
] as const;
/** If either format is one of these, both must be the same (contract §6). */
export const AMAZON_FORMATS = new Set(["aki", "ari", "ami"]);

/** The only store this registry has; `x-image-meta-store` may name it and nothing else. */
export const STORES = new Set(["r2"]);

export const MAX_NAME_LENGTH = 255;
export const MAX_CHECKSUM_LENGTH = 32;
/** min_disk / min_ram are 32-bit signed integers in Glance's database. */
export const MAX_MIN_VALUE = 2_147_483_647;
export const MAX_PROPERTY_KEY_LENGTH = 255;
export const MAX_PROPERTY_VALUE_LENGTH = 65_535;
export const MAX_JSON_BODY_BYTES = 64 * 1024;

/** Glance's image_tag_quota (not configurable here yet) and the tags column width. */
export const IMAGE_TAG_QUOTA = 128;
export const MAX_TAG_LENGTH = 255;

export const DEFAULT_IMAGE_SIZE_CAP = 1_099_511_627_776;
export const DEFAULT_PROPERTY_QUOTA = 128;

/** Messages clients and tests match on; the wording is Glance's where Glance had one. */
export const MESSAGES = {
	badHeader: (header: string) => `Bad header: ${header}`,
	notInteger: (field: string, value: string) =>
		`Cannot convert image ${field} '${value}' to an integer.`,
	negative: (field: string) => `Cannot be a negative value: ${field}.`,
	outOfRange: (field: string) => `'${field}' value out of range`,
	badTime: (field: string, value: string) => `Invalid time format for ${field}: '${value}'`,
	invalidDiskFormat: (v: string) => `Invalid disk format '${v}' for image.`,
	invalidContainerFormat: (v: string) => `Invalid container format '${v}' for image.`,
	amazonMix:
		"Invalid mix of disk and container formats. When setting a disk or container format to one of 'aki', 'ari', or 'ami', the container and disk formats must match.",
	nameTooLong: (n: number) => `Image name too long: ${n}`,
	checksumTooLong: (v: string) => `Invalid checksum '${v}': can't exceed 32 characters`,
	tooLarge: (cap: number) => `Denying attempt to upload image larger than ${cap} bytes.`,
	invalidStore: (s: string) => `Required store ${s} is invalid`,
	invalidId: "Invalid image id format",
	duplicateId: (id: string) => `An image with identifier ${id} already exists`,
	externalSource: (uri: string) => `External sources are not supported: '${uri}'`,
	tagQuota: (attempted: number, max: number) =>
		`The limit has been exceeded on the number of allowed image tags. Attempted: ${attempted}, Maximum: ${max}`,
	propertyQuota: (attempted: number, max: number) =>
		`The limit has been exceeded on the number of allowed image properties. Attempted: ${attempted}, Maximum: ${max}`,
	publicizeForbidden:
		"Not allowed to set is_public=true: only administrators can publicize images.",
	notSpecified: (what: string) => `${what} is not specified.`,
	imageNotFound: (id: string) => `Image with identifier ${id} not found`,
	notActive: (id: string) => `Image ${id} is not active`,
	deactivated: (id: string) => `Image ${id} is deactivated`,
	unqueued: "Cannot upload to an unqueued image",
	contentType: "Content-Type must be application/octet-stream",
	sizeMismatch: (supplied: number, actual: number) =>
		`Supplied size (${supplied}) and size generated from uploaded image (${actual}) did not match. Setting image status to 'killed'.`,
	checksumMismatch: (supplied: string, actual: string) =>
		`Supplied checksum (${supplied}) and checksum generated from uploaded image (${actual}) did not match. Setting image status to 'killed'.`,
	disconnected: "Client disconnected before sending all data to backend",
	lengthMismatch: (supplied: number, length: number) =>
		`Supplied size (${supplied}) and Content-Length (${length}) do not match; nothing was stored.`,
	requestTooLarge: (limit: number) =>
		`This service accepts request bodies of at most ${limit} bytes (MAX_REQUEST_BYTES, the edge's request limit); this body is larger.`,
	storeFailed:
		"The image store failed while writing the image data; the upload can be retried with a new image.",
	deletedDuringUpload: "Image was deleted while it was being uploaded; its data has been removed.",
	updateDeleted: "Forbidden to update deleted image.",
	modifyActive: (field: string, status: string) =>
		`Forbidden to modify '${field}' of ${status} image.`,
	modifyReadOnly: (field: string) => `Forbidden to modify '${field}' of image.`,
	notOwnerUpdate: (id: string) =>
		`Forbidden to update image ${id}: only its owner or an administrator may change it.`,
	notOwnerDelete: (id: string) =>
		`Forbidden to delete image ${id}: only its owner or an administrator may delete it.`,
	protectedImage: "Image is protected",
	formatsDuringUpload:
		"The image's data is being uploaded and checked against its formats: change disk_format or container_format after the upload ends.",
	pendingDelete: "Forbidden to delete a pending_delete image.",
	imageGone: (id: string) => `Image ${id} not found.`,
	changedConcurrently:
		"The image was changed by another request at the same time; read it again and retry.",
	storageQuota: (quota: number, used: number, needed: number) =>
		`Denying attempt to upload image because it exceeds the storage quota of ${quota} bytes: ${used} bytes are already stored or reserved, and this upload needs ${needed} more.`,
	loneSurrogate: (field: string) =>
		`${field} must be valid Unicode: it holds a lone surrogate (an unpaired \\ud800-\\udfff escape), which cannot be stored as UTF-8.`,
	metaHeadersTooLarge: (attempted: number, max: number) =>
		`An image's metadata is limited to ${max} bytes of x-image-meta-* headers, so that HEAD and GET can answer with it (responses carry at most 128 KiB of headers); this change would make ${attempted}.`,
	headerLineTooLong: (key: string, max: number) =>
		`Property '${key}' would be an x-image-meta-* header line of more than ${max} bytes, which glanceclient (Python's http.client) cannot read; property values are percent-encoded outside printable ASCII.`,
	tooManyPropertyHeaders: (attempted: number, max: number) =>
		`An image may have at most ${max} properties so that clients can read the image's headers (glanceclient reads at most 100 header lines). Attempted: ${attempted}`,
	unsizedUpload:
		"This upload has no Content-Length and declares neither a size nor a checksum, so a client that stops sending half-way could not be told from one that finished. Declare x-image-meta-size (glanceclient: --size, or --file instead of a pipe) or x-image-meta-checksum, or use an upload session.",
	tooManyParts: (partSize: number) =>
		`An upload of unknown length is limited to 10000 parts of ${partSize} bytes; send Content-Length or x-image-meta-size.`,
} as const;

/** Glance v2's messages (glance-v2-contract); clients and tests match on some of them. */
export const V2_MESSAGES = {
	foreignOwner: (owner: string) => `You are not permitted to create images owned by '${owner}'.`,
	readOnly: (attr: string) => `Attribute '${attr}' is read-only.`,
	reserved: (attr: string) => `Attribute '${attr}' is reserved.`,
	ownerNonAdmin: "Owner can't be updated by non admin.",
	propertyMissing: (name: string) => `Property ${name} does not exist.`,
	propertyPresent: (name: string) => `Property ${name} already present.`,
	baseNotRemovable: (name: string) => `Property ${name} may not be removed.`,
	formatOnlyQueued: (attr: string) => `Attribute ${attr} can be only replaced for a queued image.`,
	locationsInvisible: "It's not allowed to add locations if locations are invisible.",
	locationsRemove: "It's not allowed to remove locations if locations are invisible.",
	locationsReplace: "It's not allowed to replace locations if locations are invisible.",
	notOwnerModify: (id: string) => `You are not permitted to modify image ${id}.`,
	notOwnerUpload: (id: string) => `Not allowed to upload image data for image ${id}`,
	notOwnerTags: (id: string) => `Not allowed to update tags for image ${id}.`,
	notOwnerDelete: (id: string) => `You are not permitted to delete image ${id}.`,
	formatsBeforeData: (missing: string[]) =>
		`Propert${missing.length > 1 ? "ies" : "y"} ${missing.join(", ")} must be set prior to saving data.`,
	imageNotFound: (id: string) => `No image found with ID ${id}`,
	tagNotFound: (tag: string) => `Tag ${tag} not found.`,
	tagTooLong:
		"Provided object does not match schema 'image': tag is too long (over 255 characters)",
	deactivatedDownload:
		"The requested image has been deactivated. Image data download is forbidden.",
	wrongStatusAction: (action: string, status: string) =>
		`Not allowed to ${action} image in status '${status}'`,
	customKeyTooLong: "Custom property should not be greater than 255 characters.",
	stageNotQueued: (status: string) =>
		`Image status transition from ${status} to uploading is not allowed`,
	notOwnerStage: (id: string) => `Not allowed to stage image data for image ${id}`,
	notOwnerImport: (id: string) => `You are not permitted to import image ${id}.`,
	importNeedsMethod: "Import request requires a 'method' field.",
	importNeedsName: "Import request requires a 'name' field.",
	unknownImportMethod: (name: string) => `Unknown import method name '${name}'.`,
	importFlag: (flag: string) => `'${flag}' must be boolean value only`,
	importMustSucceed:
		"The 'all_stores_must_succeed' option is only supported when multiple stores are configured.",
	importActive: (status: string) => `Image with status ${status} cannot be target for import`,
	importNotStaged: "Image needs to be staged before 'glance-direct' method can be used",
	importFormats: (attr: string) => `'${attr}' needs to be set before import`,
	importRunning: (id: string) => `Image ${id} has an import in progress already.`,
	importStale: "The import did not finish in time; stage the data and import it again.",
	stageStale: "Staging did not finish in time; stage the data again.",
	stagedNotImported: "The staged data was not imported in time; stage it again.",
	stageAborted: "The staging session was aborted.",
} as const;

/** The import methods this service offers (Glance v2's enabled_import_methods). */
export const IMPORT_METHODS = ["glance-direct"] as const;

/** Image lists (contract §5.1). Sort keys in Glance's order: its 400 message lists them so. */
export const LIST_SORT_KEYS = [
	"name",
	"status",
	"container_format",
	"disk_format",
	"size",
	"id",
	"created_at",
	"updated_at",
] as const;
export type ListSortKey = (typeof LIST_SORT_KEYS)[number];
export const LIST_SORT_DIRS = ["asc", "desc"] as const;
export type ListSortDir = (typeof LIST_SORT_DIRS)[number];
export const DEFAULT_LIST_SORT_KEY: ListSortKey = "created_at";
export const DEFAULT_LIST_SORT_DIR: ListSortDir = "desc";
/** Glance's limit_param_default and api_limit_max; a larger limit is silently capped. */
export const DEFAULT_LIST_LIMIT = 25;
export const MAX_LIST_LIMIT = 1000;
/** What the is_public and protected filters accept, any case; "none" means no filter. */
export const LIST_BOOLEAN_VALUES: ReadonlyMap<string, boolean | null> = new Map([
	["none", null],
	["true", true],
	["false", false],
	["1", true],
	["0", false],
]);
/** `property-<key>=<value>`: the key is taken verbatim after the prefix. */
export const LIST_PROPERTY_PREFIX = "property-";

export const LIST_MESSAGES = {
	badFilter: (filter: string, value: string) => `Bad value passed to filter ${filter} got ${value}`,
	protectedNotBoolean: "protected must be True, or False",
	changesSince: "Unrecognized changes-since value",
	limitNotInteger: "limit param must be an integer",
	limitNegative: "limit param must be positive",
	markerFormat: "Invalid marker format",
	markerNotFound: "Invalid marker. Image could not be found.",
	sortKey: `Unsupported sort_key. Acceptable values: ${LIST_SORT_KEYS.join(", ")}`,
	sortDir: `Unsupported sort_dir. Acceptable values: ${LIST_SORT_DIRS.join(", ")}`,
} as const;

/** Members per image (Glance's image_member_quota; negative means unlimited). */
export const DEFAULT_MEMBER_QUOTA = 128;

/** Glance's image_members.member column is 255 characters wide. */
export const MAX_MEMBER_ID_LENGTH = 255;

/** Glance v1 member rules' messages (contract §5.7, §5.8). */
export const MEMBER_MESSAGES = {
	imageDeleted: (id: string) => `Image with identifier ${id} has been deleted.`,
	// Glance's registry said 403 «No permission to share that image»; the v1 API answered 404.
	cannotShare: (id: string) =>
		`Image with identifier ${id} not found: no permission to share that image.`,
	notMember: "Membership could not be found.",
	invalidMemberships: (detail: string) => `Invalid membership association: ${detail}`,
	quota: (attempted: number, max: number) =>
		`The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${max}`,
	singleMemberRead:
		"Reading a single membership is not supported by the v1 API; list the members instead.",
} as const;

/**
 * Python's truthiness, which Glance applied to `can_share`: false, 0, "", null, [] and {}
 * are false; everything else — including the string "false" — is true.
 */
export function pythonTruthy(value: unknown): boolean {
	if (value === null || value === undefined || value === false || value === 0 || value === "") {
		return false;
	}
	if (Array.isArray(value)) return value.length > 0;
	if (typeof value === "object") return Object.keys(value).length > 0;
	return true;
}

/** Upload-session extension messages. */
export const SESSION_MESSAGES = {
	none: (id: string) => `No upload session is open for image ${id}.`,
	exists: (id: string) =>
		`An upload session is already open for image ${id}; read it with GET to resume, or DELETE it.`,
	notQueued: (id: string) =>
		`Image ${id} is not queued: only a queued image takes an upload session.`,
	sizeDeclared: (declared: number, size: number) =>
		`The image was registered with size ${declared}, but the session declares ${size}.`,
	checksumDeclared: (declared: string, given: string) =>
		`The image was registered with checksum ${declared}, but the session declares ${given}.`,
	tooLargeForLimit: (size: number, max: number) =>
		`An image of ${size} bytes needs parts larger than the request limit allows: at most ${max} bytes fit in 10000 parts.`,
	partNumber: (count: number) => `Part numbers run from 1 to ${count} for this session.`,
	partSize: (n: number, expected: number, got: number | null) =>
		`Part ${n} must be exactly ${expected} bytes${got === null ? "" : `, not ${got}`}.`,
	missingParts: (missing: number[]) =>
		`The upload is not complete: part${missing.length > 1 ? "s" : ""} ${missing.slice(0, 20).join(", ")}${missing.length > 20 ? ", …" : ""} missing.`,
	closed: "The upload session was closed while this part was being stored; open a new session.",
	sessionOwnsData: (id: string) =>
		`An upload session is open for image ${id}: send the data as its parts, or abort the session (DELETE /v1/images/${id}/upload-session) before uploading it in one request.`,
	imageTakesNoParts: (id: string, status: string) =>
		`Image ${id} is ${status}: its upload session no longer takes parts.`,
	expired: "The upload session expired before it was completed.",
	digestDeclared: (field: string, opened: string, given: string) =>
		`The session was opened with ${field} ${opened}, but completing it declares ${given}.`,
	stale: "The upload stopped making progress and was abandoned.",
} as const;

// Content inspection (security-and-platform.md §A.1, docs/content-safety.md).
/** VMDK create types accepted by default (Glance's vmdk_allowed_types). */
export const DEFAULT_VMDK_ALLOWED_TYPES = ["monolithicSparse", "streamOptimized"] as const;
/** Disk formats the inspectors recognise: the bytes must be exactly the declared format. */
export const INSPECTED_DISK_FORMATS = new Set([
	"raw",
	"qcow2",
	"vmdk",
	"vhd",
	"vhdx",
	"vdi",
	"iso",
	"luks",
]);
/**
 * What a hypervisor reads as plain bytes: the content `raw` may hold, and what disk formats the
 * inspectors do not recognise (ami, aki, ari, ploop, ...) must look like.
 */
export const PLAIN_CONTENT = new Set(["raw", "gpt", "mbr", "iso"]);
