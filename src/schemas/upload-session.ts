import * as v from "valibot";

const CHECKSUM = v.optional(
	v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, "checksum must be an MD5 in lower-case hex")),
);
const OS_HASH_VALUE = v.optional(
	v.pipe(
		v.string(),
		v.regex(/^[0-9a-f]{128}$/, "os_hash_value must be a SHA-512 in lower-case hex"),
	),
);

/** `POST /v1/images/{id}/upload-session`: the total size and, optionally, the digests to expect. */
export const OpenSessionSchema = v.strictObject(
	{
		size: v.pipe(
			v.number("size must be an integer"),
			v.integer("size must be an integer"),
			v.minValue(1, "size must be at least 1 byte"),
		),
		checksum: CHECKSUM,
		os_hash_value: OS_HASH_VALUE,
	},
	"The request body must be a JSON object with a size",
);

/**
 * `POST …/upload-session/complete`, optionally with a body: the digests to expect, for a client
 * that hashed its file while the parts were on their way (it could not declare them earlier).
 */
export const CompleteSessionSchema = v.strictObject(
	{ checksum: CHECKSUM, os_hash_value: OS_HASH_VALUE },
	"The request body must be a JSON object with checksum and/or os_hash_value",
);
