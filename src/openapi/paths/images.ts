import {
	DEFAULT_LIST_LIMIT,
	LIST_SORT_KEYS,
	MAX_JSON_BODY_BYTES,
	MAX_LIST_LIMIT,
} from "../../domain/glance-rules";
import { ListParamsSchema } from "../../http/list-query";
import { ImageSchema } from "../../schemas/responses";
import {
	errors,
	headErrors,
	IMAGE_ID_PARAMETER,
	jsonContent,
	ref,
	requestIdHeader,
} from "../components";
import {
	imageMetaHeaderParameters,
	imageMetaResponseHeaders,
	PROPERTY_HEADERS_DOC,
} from "../image-headers";
import { jsonSchemaOf } from "../json-schema";
import type { Json, Operation } from "../types";

type ListParam = keyof typeof ListParamsSchema.entries;

/** What each list parameter does. Typed by the schema that parses them: none goes undescribed. */
const LIST_PARAM_DOCS: Record<ListParam, string> = {
	name: "Only images with exactly this name.",
	status: "Only images in this status (without it: every status but killed and deleted).",
	container_format: "Only images with this container format.",
	disk_format: "Only images with this disk format.",
	min_ram: "Only images whose min_ram equals this (a non-negative integer).",
	min_disk: "Only images whose min_disk equals this (a non-negative integer).",
	size_min: "Only images of at least this many bytes.",
	size_max: "Only images of at most this many bytes.",
	is_public:
		"Admins only: true, false, or none (every image). Others always see public images plus their own and shared ones.",
	protected: "true or false.",
	"changes-since":
		"ISO 8601 timestamp: only images updated after it, deleted and killed ones included.",
	limit: `Page size (default ${DEFAULT_LIST_LIMIT}; larger values are capped at ${MAX_LIST_LIMIT}).`,
	marker: "The id of the last image of the previous page; the page starts after it.",
	sort_key: `Sort key: ${LIST_SORT_KEYS.join(", ")}.`,
	sort_dir: "asc or desc.",
};

const LIST_PARAM_EXAMPLES: Partial<Record<ListParam, string>> = {
	name: "cirros",
	disk_format: "qcow2",
	size_max: "1073741824",
	limit: "10",
	sort_key: "size",
	sort_dir: "desc",
};

function listParameters(): Json[] {
	const params: Json[] = Object.entries(ListParamsSchema.entries).map(([name, schema]) => ({
		name,
		in: "query",
		required: false,
		description: LIST_PARAM_DOCS[name as ListParam],
		schema: jsonSchemaOf(schema),
		...(LIST_PARAM_EXAMPLES[name as ListParam]
			? { example: LIST_PARAM_EXAMPLES[name as ListParam] }
			: {}),
	}));
	params.push({
		name: "property-{key}",
		in: "query",
		required: false,
		description:
			"`property-<key>=<value>`: only images with that property value; any number of them. (Shown here as one parameter: substitute the key into the name.)",
		schema: { type: "string" },
	});
	return params;
}

const LIST_ERRORS = errors(400, 401);

const PURGE_PROPS = {
	name: "x-glance-registry-purge-props",
	in: "header",
	required: false,
	description:
		"On a metadata update (no data), properties not sent are removed unless this is `false` (glanceclient sends false).",
	schema: { type: "string", default: "true" },
};

const CONTENT_LENGTH = {
	name: "Content-Length",
	in: "header",
	required: false,
	description:
		"Length of the image data. Without it (chunked), send x-image-meta-size, or the data is stored in parts of UPLOAD_PART_BYTES. Over MAX_REQUEST_BYTES → 413.",
	schema: { type: "integer", minimum: 0 },
};

const LOCATION_HEADER = {
	Location: {
		description: "The image's URL: `<endpoint>/v1/images/<id>`.",
		schema: { type: "string", format: "uri" },
	},
	...requestIdHeader,
};

const OCTET_STREAM = {
	"application/octet-stream": {
		schema: { type: "string", contentMediaType: "application/octet-stream" },
	},
};

/** Request-body examples; the API tests send each one and expect a 2xx. */
export const CREATE_IMAGE_EXAMPLES = {
	minimal: {
		summary: "The three required fields",
		value: { name: "cirros", disk_format: "qcow2", container_format: "bare" },
	},
	full: {
		summary: "Optional fields and properties",
		value: {
			name: "ubuntu-24.04",
			disk_format: "raw",
			container_format: "bare",
			min_disk: 10,
			min_ram: 1024,
			protected: false,
			properties: { os_distro: "ubuntu", os_version: "24.04", hw_disk_bus: "virtio" },
		},
	},
	wrapped: {
		summary: 'Wrapped as {"image": {...}}',
		value: { image: { name: "cirros", disk_format: "qcow2", container_format: "bare" } },
	},
};

const RESPONSE_FIELDS = Object.keys(ImageSchema.entries);

const SDK_JSON_DOC = [
	'- **`{"image": {...}}`** (openstacksdk\'s envelope): the same fields, and any other key is a property (the SDK spreads properties at the top level).',
	"  In either JSON form `validate_checksum` (sent by openstacksdk's `create_image`) is accepted and ignored, and `min_ram`, `min_disk`, `is_public`, `protected` / `is_protected` and `owner` / `owner_id` inside `properties` are taken as those fields (where `create_image` puts them).",
].join("\n");

const SDK_ENVELOPE = {
	type: "object",
	properties: { image: { type: "object", additionalProperties: true } },
	required: ["image"],
	additionalProperties: false,
};

const DOWNLOAD_PARAMETERS = [
	IMAGE_ID_PARAMETER,
	{
		name: "Range",
		in: "header",
		required: false,
		description: "One byte range, e.g. `bytes=1048576-` to resume.",
		schema: { type: "string", pattern: "^bytes=" },
		example: "bytes=0-1023",
	},
	{
		name: "If-Range",
		in: "header",
		required: false,
		description: "The ETag (MD5) the client has; the Range applies only if it still matches.",
		schema: { type: "string" },
	},
];

const RANGE_RESPONSE = {
	description: "The requested range.",
	headers: {
		"Content-Range": { schema: { type: "string" }, example: "bytes 0-1023/13267968" },
		"Content-Length": { schema: { type: "integer" } },
		...requestIdHeader,
	},
	content: OCTET_STREAM,
};

export const IMAGE_OPERATIONS: Operation[] = [
	{
		method: "get",
		path: "/v1/images",
		operationId: "listImages",
		summary: "List images (brief)",
		description:
			"Images the caller may see: public, their own, and shared with them. Brief records (id, name, size, formats, checksum). Page with `limit` and `marker`.",
		tags: ["images"],
		parameters: listParameters(),
		responses: {
			"200": {
				description: "A page of images.",
				headers: requestIdHeader,
				content: jsonContent("BriefList"),
			},
			...LIST_ERRORS,
		},
	},
	{
		method: "get",
		path: "/v1/images/detail",
		operationId: "listImagesDetail",
		summary: "List images (full records)",
		description: "Same filters, sorting and paging as GET /v1/images; every field and property.",
		tags: ["images"],
		parameters: listParameters(),
		responses: {
			"200": {
				description: "A page of images.",
				headers: requestIdHeader,
				content: jsonContent("DetailList"),
			},
			...LIST_ERRORS,
		},
	},
	{
		method: "get",
		path: "/v1/",
		operationId: "listImagesRoot",
		summary: "List images (brief): alias of GET /v1/images; without a token, the version document",
		description:
			'With X-Auth-Token: the brief list, as Glance\'s v1 router answered `/`. Without one: `{"version": {...}}`, which keystoneauth (openstacksdk, `openstack`) reads when its endpoint ends in `/v1` (it asks without a token first).',
		tags: ["images"],
		public: true,
		parameters: listParameters(),
		responses: {
			"200": {
				description: "A page of images, or (without a token) this version's document.",
				headers: requestIdHeader,
				content: jsonContent("BriefListOrVersion"),
			},
			...errors(400),
		},
	},
	{
		method: "post",
		path: "/v1/images",
		operationId: "createImage",
		summary: "Register an image, optionally with its data",
		description: [
			"Two forms, both needing `name`, `disk_format` and `container_format` (400 naming the missing field):",
			"",
			`- **JSON**: \`Content-Type: application/json\` with the fields, at most ${MAX_JSON_BODY_BYTES} bytes; unknown keys are refused. Answers **202** with the queued image.`,
			SDK_JSON_DOC,
			"- **Headers** (Glance v1): the fields as `x-image-meta-*` headers. Without a body: **202**, queued (but `x-image-meta-size: 0` makes an active, empty image: 201). With an `application/octet-stream` body: the data streams to R2 with MD5 and SHA-512 computed, and the answer is **201** with the active image.",
			"",
			PROPERTY_HEADERS_DOC,
			"",
			"Sending both a JSON body and x-image-meta-* headers is refused (400).",
		].join("\n"),
		tags: ["images"],
		parameters: [...imageMetaHeaderParameters(), CONTENT_LENGTH],
		requestBody: {
			required: false,
			description: "JSON metadata, or the image data with metadata in headers.",
			content: {
				"application/json": {
					schema: {
						anyOf: [ref("CreateImage"), SDK_ENVELOPE],
					},
					examples: CREATE_IMAGE_EXAMPLES,
				},
				...OCTET_STREAM,
			},
		},
		responses: {
			"201": {
				description: "Registered and uploaded: the image is active.",
				headers: LOCATION_HEADER,
				content: jsonContent("RegisteredImage"),
			},
			"202": {
				description: "Registered without data: the image is queued; upload with PUT.",
				headers: LOCATION_HEADER,
				content: jsonContent("RegisteredImage"),
			},
			...errors(400, 401, 403, 409, 413, 500, 503),
		},
	},
	{
		method: "head",
		path: "/v1/images/{id}",
		operationId: "getImageMeta",
		summary: "Image metadata as x-image-meta-* headers",
		tags: ["images"],
		parameters: [IMAGE_ID_PARAMETER],
		responses: {
			"200": {
				description: "The image, as headers (no body).",
				headers: {
					...imageMetaResponseHeaders(RESPONSE_FIELDS),
					ETag: { description: "The MD5 checksum, when known.", schema: { type: "string" } },
					...requestIdHeader,
				},
			},
			...headErrors(401, 404),
		},
	},
	{
		method: "get",
		path: "/v1/images/{id}",
		operationId: "downloadImage",
		summary: "Download the image data (whole or a Range), or read the record as JSON",
		description: [
			"Only an active image has data (404 otherwise; 403 when deactivated). The metadata comes along as x-image-meta-* headers. A single `Range: bytes=a-b` answers 206; multiple ranges or an If-Range that no longer matches the ETag answer the whole image.",
			"",
			'The JSON record `{"image": {...}}` (any status) answers instead when `Accept` prefers `application/json` to the data, and for openstacksdk (User-Agent `openstacksdk/...`, unless it accepts `application/octet-stream`): its v1 `Image.fetch` GETs this URL and parses JSON. `Vary: Accept, User-Agent`.',
		].join("\n"),
		tags: ["images"],
		parameters: DOWNLOAD_PARAMETERS,
		responses: {
			"200": {
				description: "The whole image, or its record when JSON was asked for.",
				headers: {
					"Content-Length": { schema: { type: "integer" } },
					"Accept-Ranges": { schema: { type: "string", const: "bytes" } },
					...imageMetaResponseHeaders(RESPONSE_FIELDS),
					...requestIdHeader,
				},
				content: { ...OCTET_STREAM, ...jsonContent("ImageEnvelope") },
			},
			"206": RANGE_RESPONSE,
			...errors(401, 403, 404, 416),
		},
	},
	{
		method: "get",
		path: "/v1/images/{id}/file",
		operationId: "downloadImageFile",
		summary: "Download the image data (Glance v2's path, used by openstacksdk)",
		description:
			"Always the data, as GET /v1/images/{id} serves it, plus `Content-MD5` with the hex MD5 as Glance v2 sent it (openstacksdk's `download_image` checks it).",
		tags: ["images"],
		parameters: DOWNLOAD_PARAMETERS,
		responses: {
			"200": {
				description: "The whole image.",
				headers: {
					"Content-Length": { schema: { type: "integer" } },
					"Content-MD5": { description: "The hex MD5 checksum.", schema: { type: "string" } },
					...requestIdHeader,
				},
				content: OCTET_STREAM,
			},
			"206": RANGE_RESPONSE,
			...errors(401, 403, 404, 416),
		},
	},
	{
		method: "put",
		path: "/v1/images/{id}",
		operationId: "updateImage",
		summary: "Update metadata, or upload the data of a queued image",
		description: [
			"Metadata travels as `x-image-meta-*` headers, or as JSON (openstacksdk's `update_image`).",
			"",
			"- **Without a body**: a metadata update. Properties not sent are removed unless `x-glance-registry-purge-props: false`. Status, id and (once active) size/checksum cannot change (403).",
			'- **With a JSON body** (`{"image": {...}}` or the bare object, as on POST): a metadata update under the same rules. Properties named are **merged** into the image\'s (openstacksdk sends only what changed); a JSON update without properties leaves them alone; `x-glance-registry-purge-props: true` makes the named properties the whole set. Record fields the SDK echoes (`created_at`, `updated_at`, `deleted_at`, `deleted`, `status_reason`) are ignored.',
			"- **With an `application/octet-stream` body** (or a body without Content-Type, as openstacksdk uploads): the data of a *queued* image (409 otherwise); the image becomes active. Properties are never purged by an upload.",
			"",
			PROPERTY_HEADERS_DOC,
		].join("\n"),
		tags: ["images"],
		parameters: [IMAGE_ID_PARAMETER, ...imageMetaHeaderParameters(), PURGE_PROPS, CONTENT_LENGTH],
		requestBody: {
			required: false,
			content: {
				"application/json": { schema: { anyOf: [ref("CreateImage"), SDK_ENVELOPE] } },
				...OCTET_STREAM,
			},
		},
		responses: {
			"200": {
				description: "The updated image.",
				headers: {
					ETag: {
						description: "The MD5 checksum, for an active image.",
						schema: { type: "string" },
					},
					...requestIdHeader,
				},
				content: jsonContent("ImageEnvelope"),
			},
			...errors(400, 401, 403, 404, 409, 412, 413, 500, 503),
		},
	},
	{
		method: "delete",
		path: "/v1/images/{id}",
		operationId: "deleteImage",
		summary: "Delete an image and its data",
		description:
			"200 with an empty body (Glance's answer). The id stays reserved forever. Protected images cannot be deleted (403).",
		tags: ["images"],
		parameters: [IMAGE_ID_PARAMETER],
		responses: {
			"200": { description: "Deleted (empty body).", headers: requestIdHeader },
			...errors(401, 403, 404, 409),
		},
	},
];
