import * as v from "valibot";
import {
	DEFAULT_CONTAINER_FORMATS,
	DEFAULT_DISK_FORMATS,
	DEFAULT_IMAGE_SIZE_CAP,
	DEFAULT_MEMBER_QUOTA,
	DEFAULT_PROPERTY_QUOTA,
	DEFAULT_VMDK_ALLOWED_TYPES,
} from "../domain/glance-rules";
import { MAX_PART_BYTES, MIN_PART_BYTES } from "../domain/upload-geometry";

/**
 * What the README's configuration table needs beyond the description and the default
 * (scripts/config-table.mjs renders it).
 */
export type SettingDoc = {
	/** Set with `wrangler secret put`, so it never belongs in `[vars]`. */
	secret?: boolean;
	/** Says what happens when unset, for settings whose default is not a value to quote. */
	defaultText?: string;
	/** Follows the quoted default, to make a number readable (`1 TiB`, `unlimited`). */
	note?: string;
};

const isBlank = (raw: string) => raw.trim() === "";

/**
 * The largest unknown-length part: two are in memory at once (one stored while the next fills),
 * beside everything else the request holds, in an isolate of 128 MB.
 */
const MAX_BUFFERED_PART_BYTES = 32 * 1024 * 1024;

/**
 * A var as the Worker receives it. The default is in the form `[vars]` would hold, so the README
 * can quote it; "" means no default. Non-strings come from unquoted TOML values, which wrangler
 * passes on as JSON.
 */
function raw(fallback: string) {
	return v.optional(
		v.string((issue) => `must be a quoted string, got ${JSON.stringify(issue.input)}.`),
		fallback,
	);
}

/** Blank counts as unset, so `NAME = ""` in [vars] means the default. */
function text(fallback: string, description: string, extra?: SettingDoc) {
	return v.pipe(
		raw(fallback),
		v.transform((value) => value.trim() || fallback),
		v.description(description),
		v.metadata({ ...extra }),
	);
}

/** A base URL, without the trailing slash that would double up when paths are appended. */
function baseUrl(description: string, extra: SettingDoc & { defaultText: string }) {
	return v.pipe(
		raw(""),
		v.transform((value) => value.trim().replace(/\/+$/, "") || null),
		v.description(description),
		v.metadata({ ...extra }),
	);
}

/** Kept as given: a secret is compared or parsed where it is used, never trimmed here. */
function secret(description: string, defaultText: string) {
	return v.pipe(
		raw(""),
		v.transform((value) => value || null),
		v.description(description),
		v.metadata({ secret: true, defaultText }),
	);
}

/** The values a numeric setting may take; outside them it is a misconfiguration, not a clamp. */
interface Range {
	min?: number;
	max?: number;
}

function outside(value: number, { min, max }: Range): string | null {
	if (min !== undefined && value < min) return `at least ${min}`;
	if (max !== undefined && value > max) return `at most ${max}`;
	return null;
}

/** The range, as the README's table states it after the meaning. */
function rangeText({ min, max }: Range): string {
	if (min !== undefined && max !== undefined) return ` (${min} to ${max})`;
	if (min !== undefined) return ` (at least ${min})`;
	return max !== undefined ? ` (at most ${max})` : "";
}

function integer(fallback: number, description: string, extra: SettingDoc & Range = {}) {
	const { min, max, ...doc } = extra;
	const range = { min, max };
	return v.pipe(
		raw(String(fallback)),
		v.check(
			(value) => isBlank(value) || Number.isSafeInteger(Number(value)),
			(issue) => `must be an integer, got '${issue.input}'.`,
		),
		v.check(
			(value) => isBlank(value) || outside(Number(value), range) === null,
			(issue) => `must be ${outside(Number(issue.input), range)}, got '${issue.input}'.`,
		),
		v.transform((value) => (isBlank(value) ? fallback : Number(value))),
		v.description(`${description}${rangeText(range)}`),
		v.metadata(doc),
	);
}

function boolean(fallback: boolean, description: string) {
	return v.pipe(
		raw(String(fallback)),
		v.check(
			(value) => ["", "true", "false"].includes(value.trim().toLowerCase()),
			(issue) => `must be true or false, got '${issue.input}'.`,
		),
		v.transform((value) => {
			const word = value.trim().toLowerCase();
			return word ? word === "true" : fallback;
		}),
		v.description(description),
	);
}

function choice<const T extends readonly [string, ...string[]]>(choices: T, description: string) {
	const [fallback] = choices;
	const known: readonly string[] = choices;
	const isChoice = (word: string): word is T[number] => known.includes(word);
	return v.pipe(
		raw(fallback),
		v.check(
			(value) => isBlank(value) || isChoice(value.trim().toLowerCase()),
			(issue) => `must be ${choices.join(" or ")}, got '${issue.input}'.`,
		),
		v.transform((value) => {
			const word = value.trim().toLowerCase();
			return isChoice(word) ? word : fallback;
		}),
		v.description(description),
	);
}

function items(value: string): string[] {
	return value
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
}

/** A comma-separated list; one that names nothing is the default list. */
function list(fallback: readonly string[], description: string) {
	return v.pipe(
		raw(fallback.join(",")),
		v.transform((value): ReadonlySet<string> => {
			const given = items(value);
			return new Set(given.length > 0 ? given : fallback);
		}),
		v.description(description),
	);
}

/** Like list, but "none" is an empty list: every VMDK refused. */
function vmdkTypes(description: string) {
	const fallback = DEFAULT_VMDK_ALLOWED_TYPES;
	return v.pipe(
		raw(fallback.join(",")),
		v.transform((value): ReadonlySet<string> => {
			if (value.trim().toLowerCase() === "none") return new Set();
			const given = items(value);
			return new Set(given.length > 0 ? given : fallback);
		}),
		v.description(description),
	);
}

/**
 * Every var and secret the Worker reads, in the order the README lists them. The descriptions
 * are the README's "Meaning" column (Markdown).
 */
export const settings = v.object({
	AUTH_TOKENS: secret(
		'JSON list of `{"token" | "token_sha256", "tenant", "user"?, "roles"}`',
		"none (every call 401)",
	),
	ADMIN_ROLE: text("admin", "role that makes a caller an administrator"),
	R2_BUCKET_NAME: text(
		"glance-edge-images",
		"bucket name used in `r2://` locations (keep equal to the binding's bucket)",
	),
	DISK_FORMATS: list(DEFAULT_DISK_FORMATS, "allowed disk formats"),
	CONTAINER_FORMATS: list(DEFAULT_CONTAINER_FORMATS, "allowed container formats"),
	IMAGE_SIZE_CAP: integer(
		DEFAULT_IMAGE_SIZE_CAP,
		"largest image; declared larger → 400, streamed larger → 413",
		{ note: "1 TiB", min: 1 },
	),
	IMAGE_PROPERTY_QUOTA: integer(
		DEFAULT_PROPERTY_QUOTA,
		"properties per image (negative: unlimited) → 413; at most 60 in any case (see Known limitations)",
	),
	// The smallest plan's limit by default: an upload larger than the zone allows then gets our
	// 413 pointing to upload sessions, not Cloudflare's own 413 page.
	MAX_REQUEST_BYTES: integer(
		100_000_000,
		"largest request body: the zone plan's limit (Business 200000000, Enterprise 500000000), so clients get our 413, not the edge's; `0`: unlimited",
		{ note: "100 MB, Free/Pro", min: 0 },
	),
	UPLOAD_PART_BYTES: integer(
		8 * 1024 * 1024,
		"part size for bodies of unknown length (streamed to R2 in parts: one stored while the next fills, two in memory)",
		{ min: MIN_PART_BYTES, max: MAX_BUFFERED_PART_BYTES },
	),
	// Session parts stream through (none is held in memory), so they can be larger than the
	// unknown-length parts: every part is a request with its own D1 writes and R2 part, and a
	// 1 GiB upload in 32 MiB parts took 6–16 % less time and CPU than in 8 MiB parts locally.
	SESSION_PART_BYTES: integer(
		32 * 1024 * 1024,
		"part size upload sessions prefer (grown to fit 10 000 parts, capped at MAX_REQUEST_BYTES); a failed part is sent again whole",
		// Smaller is raised to R2's minimum by the part-size rule; larger R2 cannot take.
		{ max: MAX_PART_BYTES },
	),
	PUBLIC_ENDPOINT: baseUrl("base URL used in `Location` headers and the versions document", {
		defaultText: "request origin",
	}),
	IMAGE_MEMBER_QUOTA: integer(
		DEFAULT_MEMBER_QUOTA,
		"members per image (negative: unlimited) → 413",
	),
	USER_STORAGE_QUOTA: integer(
		0,
		"bytes each tenant may hold: active images plus uploads in progress → 413",
		{ note: "unlimited", min: 0 },
	),
	KEYSTONE_URL: baseUrl("Keystone v3 endpoint; tokens not in `AUTH_TOKENS` are validated there", {
		defaultText: "unset",
	}),
	KEYSTONE_SERVICE_TOKEN: secret("token used to validate callers' tokens", "—"),
	KEYSTONE_CACHE_SECONDS: integer(
		300,
		"longest a validation is cached (until the token expires, capped by this)",
		{ min: 0 },
	),
	UPLOAD_SESSION_TTL_SECONDS: integer(
		86_400,
		"a session with no new part for this long is killed by the sweeper",
		{ min: 1 },
	),
	STALE_UPLOAD_SECONDS: integer(21_600, "an image `saving` for longer is killed by the sweeper", {
		min: 1,
	}),
	VMDK_ALLOWED_TYPES: vmdkTypes("VMDK subtypes accepted (`none`: no VMDK)"),
	REQUIRE_IMAGE_FORMAT_MATCH: boolean(true, "refuse bytes that are not the declared `disk_format`"),
	ACCEPT_UNSIZED_UPLOADS: boolean(
		false,
		"accept a chunked upload that declares neither size nor checksum (see Known limitations)",
	),
	DOCS_ASSETS_URL: baseUrl("where `/docs` loads Swagger UI's script and styles", {
		defaultText: "the worker itself (`/docs/swagger-ui-dist/`)",
	}),
	DOWNLOAD_LINK_SECRET: secret(
		"HMAC key that signs short-lived download links (`POST /v1/images/{id}/download-link`)",
		"none (download links refused with 501)",
	),
	DOWNLOAD_LINK_SECONDS: integer(300, "how long a signed download link stays valid", { min: 1 }),
	REQUEST_LOG: choice(
		["all", "errors"],
		"`errors`: log only 5xx answers (each log line costs CPU under load)",
	),
});

/** The vars and secrets as the Worker's env carries them. */
export type ConfigVars = v.InferInput<typeof settings>;

/** The settings under the names the code uses. */
export const configSchema = v.pipe(
	settings,
	v.transform((vars) => ({
		bucketName: vars.R2_BUCKET_NAME,
		diskFormats: vars.DISK_FORMATS,
		containerFormats: vars.CONTAINER_FORMATS,
		imageSizeCap: vars.IMAGE_SIZE_CAP,
		/** Max properties per image; negative means unlimited (Glance's convention). */
		propertyQuota: vars.IMAGE_PROPERTY_QUOTA,
		/** Lower case: callers' roles are lowered before they are compared with it. */
		adminRole: vars.ADMIN_ROLE.toLowerCase(),
		/** Largest single request body accepted; 0 means unlimited. */
		maxRequestBytes: vars.MAX_REQUEST_BYTES,
		/** Max members per image; negative means unlimited. */
		memberQuota: vars.IMAGE_MEMBER_QUOTA,
		/** Bytes a tenant may store (queued uploads, saving and active images); 0 means unlimited. */
		storageQuota: vars.USER_STORAGE_QUOTA,
		/** The raw AUTH_TOKENS secret, parsed where tokens are resolved; null = no static tokens. */
		authTokens: vars.AUTH_TOKENS,
		/** Keystone v3 endpoint that validates tokens AUTH_TOKENS does not know; null = static only. */
		keystoneUrl: vars.KEYSTONE_URL,
		keystoneServiceToken: vars.KEYSTONE_SERVICE_TOKEN,
		/** Longest a Keystone validation is cached, even if the token lives longer (revocation delay). */
		keystoneCacheSeconds: vars.KEYSTONE_CACHE_SECONDS,
		/** How long an upload session may stay open before the sweeper kills it. */
		sessionTtlSeconds: vars.UPLOAD_SESSION_TTL_SECONDS,
		/** How long an image may stay saving before the sweeper kills it. */
		staleUploadSeconds: vars.STALE_UPLOAD_SECONDS,
		/** Part size for bodies of unknown length, streamed to R2 as a multipart upload. */
		uploadPartBytes: vars.UPLOAD_PART_BYTES,
		/** Part size upload sessions prefer; parts stream through, none is held in memory. */
		sessionPartBytes: vars.SESSION_PART_BYTES,
		/** VMDK create types accepted (empty: no VMDK at all). */
		vmdkAllowedTypes: vars.VMDK_ALLOWED_TYPES,
		/** Refuse image data that is not the declared disk_format (safety checks apply regardless). */
		requireFormatMatch: vars.REQUIRE_IMAGE_FORMAT_MATCH,
		/**
		 * Take a body of unknown length with nothing to check it against. Where a proxy turns a
		 * client's hang-up into a clean end of body, such an upload would become a truncated image.
		 */
		acceptUnsizedUploads: vars.ACCEPT_UNSIZED_UPLOADS,
		/** Base URL used in Location headers and the versions document; null = the request's origin. */
		publicEndpoint: vars.PUBLIC_ENDPOINT,
		/** Where /docs loads swagger-ui-dist from; null = the worker's own static assets. */
		docsAssetsUrl: vars.DOCS_ASSETS_URL,
		/** Signs download links; null = the download-link route answers 501. */
		downloadLinkSecret: vars.DOWNLOAD_LINK_SECRET,
		/** A download link's lifetime: short, since anyone holding the link can fetch the image. */
		downloadLinkSeconds: vars.DOWNLOAD_LINK_SECONDS,
		/** Which requests get a log line: every one, or only those answered with a 5xx. */
		requestLog: vars.REQUEST_LOG,
	})),
);

/** Operator settings, parsed from vars once per request (cheap: a few short strings). */
export type Config = v.InferOutput<typeof configSchema>;
