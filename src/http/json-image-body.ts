/**
 * openstacksdk's `create_image` (and so `openstack image create` on Image API v1) sends every
 * attribute except name and the formats inside `properties`: `{"properties": {"min_ram": 64,
 * "is_public": true, "is_protected": false, ...}}`. Glance v1 never read JSON on create, so there
 * is no reference to copy; we take these keys as the core fields the user asked for, which is
 * what the same SDK call sets on Image API v2. A top-level field wins over its properties copy.
 */
const CORE_FIELDS_IN_PROPERTIES: Readonly<Record<string, string>> = {
	min_ram: "min_ram",
	min_disk: "min_disk",
	is_public: "is_public",
	is_protected: "protected",
	protected: "protected",
	owner: "owner",
	owner_id: "owner",
};

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
	typeof value === "object" && value !== null && !Array.isArray(value);

/** The JSON image body with the SDK's core fields moved out of `properties`. */
export function liftCoreProperties(body: JsonObject): JsonObject {
	const properties = body.properties;
	if (!isObject(properties)) return body;
	const lifted: JsonObject = { ...body };
	const rest: JsonObject = {};
	let moved = false;
	for (const [key, value] of Object.entries(properties)) {
		const field = CORE_FIELDS_IN_PROPERTIES[key];
		if (field === undefined) rest[key] = value;
		else {
			moved = true;
			if (!(field in body)) lifted[field] = value;
		}
	}
	// Properties that held only core fields name no property set (a PUT must not purge on them).
	if (moved && Object.keys(rest).length === 0) delete lifted.properties;
	else lifted.properties = rest;
	return lifted;
}

/** Fields of a v1 record a client may echo back on update; Glance dropped them on update too. */
const ECHOED_RECORD_FIELDS = new Set([
	"created_at",
	"updated_at",
	"deleted_at",
	"deleted",
	"status_reason",
]);
const EXTERNAL_SOURCE_FIELDS = new Set(["location", "copy_from"]);

/**
 * openstacksdk's v1 Image resource keeps every field it does not know under `properties` when it
 * reads an image, and unpacks `properties` to the top level of its `{"image": {...}}` envelope
 * when it creates or updates one (`_unpack_properties_to_resource_root`): `openstack image set
 * --property k=v` sends `{"image": {"k": "v", "virtual_size": 12, "deleted": false, ...}}`. So in
 * the envelope, a key that is not an image field is a property, and the record fields the SDK
 * echoes back are dropped.
 */
export function foldEnvelopeBody(body: JsonObject, fields: ReadonlySet<string>): JsonObject {
	const folded: JsonObject = {};
	const properties: JsonObject = isObject(body.properties) ? { ...body.properties } : {};
	let hasProperties = isObject(body.properties);
	for (const [key, value] of Object.entries(body)) {
		if (key === "properties" || ECHOED_RECORD_FIELDS.has(key)) continue;
		if (fields.has(key) || EXTERNAL_SOURCE_FIELDS.has(key)) folded[key] = value;
		else {
			properties[key] = value;
			hasProperties = true;
		}
	}
	if (hasProperties) folded.properties = properties;
	else if ("properties" in body) folded.properties = body.properties;
	return folded;
}
