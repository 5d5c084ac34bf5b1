import * as v from "valibot";
import {
	MAX_CHECKSUM_LENGTH,
	MAX_MIN_VALUE,
	MAX_NAME_LENGTH,
	MAX_PROPERTY_KEY_LENGTH,
	MAX_PROPERTY_VALUE_LENGTH,
	MESSAGES,
} from "../domain/glance-rules";

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

// JSON may escape half a surrogate pair; D1 stores UTF-8, so it would be read back as U+FFFD.
const LONE_SURROGATE = /\p{Surrogate}/u;
export const wellFormed = (field: string) =>
	v.check((s: string) => !LONE_SURROGATE.test(s), MESSAGES.loneSurrogate(field));

const text = (field: string) => v.pipe(v.string(`${field} must be a string`), wellFormed(field));
const optionalNullable = <T extends v.GenericSchema>(schema: T) => v.optional(v.nullable(schema));

const nonNegativeInteger = (field: string, max = Number.MAX_SAFE_INTEGER) =>
	v.pipe(
		v.number(`${field} must be an integer`),
		v.integer(`${field} must be an integer`),
		v.minValue(0, MESSAGES.negative(field)),
		v.maxValue(max, MESSAGES.outOfRange(field)),
	);

const booleanField = (field: string) => v.boolean(`${field} must be true or false`);

const propertyKey = v.pipe(
	v.string(),
	wellFormed("property names"),
	v.minLength(1, "property names must not be empty"),
	v.maxLength(
		MAX_PROPERTY_KEY_LENGTH,
		`property names must be at most ${MAX_PROPERTY_KEY_LENGTH} characters`,
	),
);
const propertyValue = v.pipe(
	text("property values"),
	v.maxLength(
		MAX_PROPERTY_VALUE_LENGTH,
		`property values must be at most ${MAX_PROPERTY_VALUE_LENGTH} characters`,
	),
);

/**
 * The static rules every image field obeys, whichever form (JSON or x-image-meta-* headers)
 * it came in. Messages keep Glance's wording where Glance had one (contract §5.2).
 */
export const imageMetaEntries = {
	id: optionalNullable(v.pipe(text("id"), v.regex(UUID, MESSAGES.invalidId))),
	name: optionalNullable(
		v.pipe(
			text("name"),
			v.maxLength(MAX_NAME_LENGTH, (issue) => MESSAGES.nameTooLong((issue.input as string).length)),
		),
	),
	disk_format: optionalNullable(text("disk_format")),
	container_format: optionalNullable(text("container_format")),
	size: optionalNullable(nonNegativeInteger("size")),
	virtual_size: optionalNullable(nonNegativeInteger("virtual_size")),
	checksum: optionalNullable(
		v.pipe(
			text("checksum"),
			v.maxLength(MAX_CHECKSUM_LENGTH, (issue) => MESSAGES.checksumTooLong(issue.input as string)),
		),
	),
	min_disk: optionalNullable(nonNegativeInteger("min_disk", MAX_MIN_VALUE)),
	min_ram: optionalNullable(nonNegativeInteger("min_ram", MAX_MIN_VALUE)),
	is_public: v.optional(booleanField("is_public")),
	protected: v.optional(booleanField("protected")),
	owner: optionalNullable(
		v.pipe(text("owner"), v.maxLength(255, "owner must be at most 255 characters")),
	),
	status: optionalNullable(text("status")),
	os_hash_algo: optionalNullable(text("os_hash_algo")),
	os_hash_value: optionalNullable(text("os_hash_value")),
};

/** Image metadata read from headers (values already typed by the header codec). */
export const ImageMetaSchema = v.object({
	...imageMetaEntries,
	properties: v.optional(v.record(propertyKey, v.nullable(propertyValue))),
});

export const PROPERTIES_NOT_MAP = "properties must map names to strings";

/**
 * A JSON property value: a string, or a number or boolean stored as its Python string form
 * ("64", "True"), as Glance's registry stored what it was given (openstacksdk sends numbers).
 */
const jsonPropertyValue = v.union(
	[
		propertyValue,
		v.pipe(v.number(), v.transform(String)),
		v.pipe(
			v.boolean(),
			v.transform((b) => (b ? "True" : "False")),
		),
	],
	"property values must be strings, numbers or booleans",
);

/**
 * The JSON registration body (the published Create Image): the same fields, unknown keys
 * refused so a typo is a 400 rather than silently ignored. `{"image": {...}}` is also accepted.
 */
export const CreateImageJsonSchema = v.strictObject(
	{
		...imageMetaEntries,
		properties: v.optional(v.record(propertyKey, jsonPropertyValue, PROPERTIES_NOT_MAP)),
		// openstacksdk sends it on every create_image; accepted and ignored (see image-request.ts).
		validate_checksum: v.optional(v.boolean("validate_checksum must be true or false")),
	},
	"The request body must be a JSON object",
);
