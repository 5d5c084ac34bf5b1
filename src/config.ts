import {
	DEFAULT_CONTAINER_FORMATS,
	DEFAULT_DISK_FORMATS,
	DEFAULT_IMAGE_SIZE_CAP,
	DEFAULT_MEMBER_QUOTA,
	DEFAULT_PROPERTY_QUOTA,
	DEFAULT_VMDK_ALLOWED_TYPES,
} from "./domain/glance-rules";
import { misconfigured } from "./domain/refusal";
import type { Env } from "./env";

/** Operator settings, parsed from vars once per request (cheap: a few short strings). */
export interface Config {
	bucketName: string;
	diskFormats: ReadonlySet<string>;
	containerFormats: ReadonlySet<string>;
	imageSizeCap: number;
	/** Max properties per image; negative means unlimited (Glance's convention). */
	propertyQuota: number;
	adminRole: string;
	/** Largest single request body accepted; 0 means unlimited. */
	maxRequestBytes: number;
	/** Max members per image; negative means unlimited. */
	memberQuota: number;
	/** Bytes a tenant may store (queued uploads, saving and active images); 0 means unlimited. */
	storageQuota: number;
	/** Keystone v3 endpoint that validates tokens AUTH_TOKENS does not know; null = static only. */
	keystoneUrl: string | null;
	/** Longest a Keystone validation is cached, even if the token lives longer (revocation delay). */
	keystoneCacheSeconds: number;
	/** How long an upload session may stay open before the sweeper kills it. */
	sessionTtlSeconds: number;
	/** How long an image may stay saving before the sweeper kills it. */
	staleUploadSeconds: number;
	/** Part size for bodies of unknown length, streamed to R2 as a multipart upload. */
	uploadPartBytes: number;
	/** VMDK create types accepted (empty: no VMDK at all). */
	vmdkAllowedTypes: ReadonlySet<string>;
	/** Refuse image data that is not the declared disk_format (safety checks apply regardless). */
	requireFormatMatch: boolean;
	/** Base URL used in Location headers and the versions document; null = the request's origin. */
	publicEndpoint: string | null;
	/** Which requests get a log line: every one, or only those answered with a 5xx. */
	requestLog: "all" | "errors";
}

function list(raw: string | undefined, fallback: readonly string[]): ReadonlySet<string> {
	const items = (raw ?? "")
		.split(",")
		.map((s) => s.trim())
		.filter(Boolean);
	return new Set(items.length > 0 ? items : fallback);
}

function integer(name: string, raw: string | undefined, fallback: number): number {
	if (raw === undefined || raw.trim() === "") return fallback;
	const n = Number(raw);
	if (!Number.isSafeInteger(n)) {
		throw misconfigured(`${name} must be an integer, got '${raw}'.`);
	}
	return n;
}

function boolean(name: string, raw: string | undefined, fallback: boolean): boolean {
	const value = raw?.trim().toLowerCase();
	if (!value) return fallback;
	if (value === "true") return true;
	if (value === "false") return false;
	throw misconfigured(`${name} must be true or false, got '${raw}'.`);
}

/** Unset: Glance's default types; "none": no VMDK accepted. */
function vmdkTypes(raw: string | undefined): ReadonlySet<string> {
	if (raw?.trim().toLowerCase() === "none") return new Set();
	return list(raw, DEFAULT_VMDK_ALLOWED_TYPES);
}

function requestLogMode(raw: string | undefined): "all" | "errors" {
	const value = raw?.trim().toLowerCase();
	if (!value || value === "all") return "all";
	if (value === "errors") return "errors";
	throw misconfigured(`REQUEST_LOG must be all or errors, got '${raw}'.`);
}

export function loadConfig(env: Env): Config {
	return {
		bucketName: env.R2_BUCKET_NAME?.trim() || "glance-edge-images",
		diskFormats: list(env.DISK_FORMATS, DEFAULT_DISK_FORMATS),
		containerFormats: list(env.CONTAINER_FORMATS, DEFAULT_CONTAINER_FORMATS),
		imageSizeCap: integer("IMAGE_SIZE_CAP", env.IMAGE_SIZE_CAP, DEFAULT_IMAGE_SIZE_CAP),
		propertyQuota: integer(
			"IMAGE_PROPERTY_QUOTA",
			env.IMAGE_PROPERTY_QUOTA,
			DEFAULT_PROPERTY_QUOTA,
		),
		adminRole: (env.ADMIN_ROLE?.trim() || "admin").toLowerCase(),
		maxRequestBytes: integer("MAX_REQUEST_BYTES", env.MAX_REQUEST_BYTES, 0),
		memberQuota: integer("IMAGE_MEMBER_QUOTA", env.IMAGE_MEMBER_QUOTA, DEFAULT_MEMBER_QUOTA),
		storageQuota: integer("USER_STORAGE_QUOTA", env.USER_STORAGE_QUOTA, 0),
		keystoneUrl: env.KEYSTONE_URL?.trim().replace(/\/+$/, "") || null,
		keystoneCacheSeconds: integer("KEYSTONE_CACHE_SECONDS", env.KEYSTONE_CACHE_SECONDS, 300),
		sessionTtlSeconds: integer(
			"UPLOAD_SESSION_TTL_SECONDS",
			env.UPLOAD_SESSION_TTL_SECONDS,
			86_400,
		),
		staleUploadSeconds: integer("STALE_UPLOAD_SECONDS", env.STALE_UPLOAD_SECONDS, 21_600),
		uploadPartBytes: integer("UPLOAD_PART_BYTES", env.UPLOAD_PART_BYTES, 8 * 1024 * 1024),
		vmdkAllowedTypes: vmdkTypes(env.VMDK_ALLOWED_TYPES),
		requireFormatMatch: boolean("REQUIRE_IMAGE_FORMAT_MATCH", env.REQUIRE_IMAGE_FORMAT_MATCH, true),
		publicEndpoint: env.PUBLIC_ENDPOINT?.trim().replace(/\/+$/, "") || null,
		requestLog: requestLogMode(env.REQUEST_LOG),
	};
}
