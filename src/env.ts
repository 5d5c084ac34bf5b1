/** Bindings and vars from wrangler.toml (secrets: AUTH_TOKENS). */
export interface Env {
	DB: D1Database;
	IMAGES: R2Bucket;
	R2_BUCKET_NAME?: string;
	DISK_FORMATS?: string;
	CONTAINER_FORMATS?: string;
	IMAGE_SIZE_CAP?: string;
	IMAGE_PROPERTY_QUOTA?: string;
	ADMIN_ROLE?: string;
	MAX_REQUEST_BYTES?: string;
	PUBLIC_ENDPOINT?: string;
	UPLOAD_PART_BYTES?: string;
	/** Comma-separated VMDK create types accepted; "none" refuses every VMDK. */
	VMDK_ALLOWED_TYPES?: string;
	/** "false" accepts image data that is not its declared disk_format (default "true"). */
	REQUIRE_IMAGE_FORMAT_MATCH?: string;
	IMAGE_MEMBER_QUOTA?: string;
	USER_STORAGE_QUOTA?: string;
	KEYSTONE_URL?: string;
	/** Secret: a Keystone token with the service role, used to validate callers' tokens. */
	KEYSTONE_SERVICE_TOKEN?: string;
	KEYSTONE_CACHE_SECONDS?: string;
	UPLOAD_SESSION_TTL_SECONDS?: string;
	STALE_UPLOAD_SECONDS?: string;
	/** Queue of completed upload sessions waiting for verification. */
	VERIFY_QUEUE?: Queue<VerifyMessage>;
	/** Optional service binding to reach Keystone (instead of fetching KEYSTONE_URL). */
	KEYSTONE?: Fetcher;
	AUTH_TOKENS?: string;
	/** "all" (default): one JSON line per request; "errors": only 5xx requests. */
	REQUEST_LOG?: string;
}

/** What the upload-session verifier is told: which image's assembled object to check. */
export interface VerifyMessage {
	image_id: string;
}
