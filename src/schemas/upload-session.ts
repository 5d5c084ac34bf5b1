import * as v from "valibot";

/** `POST /v1/images/{id}/upload-session`: the total size and, optionally, the digests to expect. */
export const OpenSessionSchema = v.strictObject(
	{
		size: v.pipe(
			v.number("size must be an integer"),
			v.integer("size must be an integer"),
			v.minValue(1, "size must be at least 1 byte"),
		),
		checksum: v.optional(
			v.pipe(v.string(), v.regex(/^[0-9a-f]{32}$/, "checksum must be an MD5 in lower-case hex")),
		),
		os_hash_value: v.optional(
			v.pipe(
				v.string(),
				v.regex(/^[0-9a-f]{128}$/, "os_hash_value must be a SHA-512 in lower-case hex"),
			),
		),
	},
	"The request body must be a JSON object with a size",
);
