import { errors, IMAGE_ID_PARAMETER, requestIdHeader } from "../components";
import type { HttpMethod, Json, Operation } from "../types";

/**
 * Image API v2 (glance-v2-contract): documented briefly here; the wire follows Glance 25.1.
 * Schemas of the records are the server's own `/v2/schemas/*` documents.
 */
const JSON_OBJECT = { "application/json": { schema: { type: "object" } } };
const ok = (description: string, status = "200"): Record<string, Json> => ({
	[status]: { description, headers: requestIdHeader, content: JSON_OBJECT },
});
const NO_CONTENT = { "204": { description: "Done (no body).", headers: requestIdHeader } };
const TAG_PARAMETER = { name: "tag", in: "path", required: true, schema: { type: "string" } };

function op(
	method: HttpMethod,
	path: string,
	operationId: string,
	summary: string,
	responses: Record<string, Json>,
	extra: Partial<Operation> = {},
): Operation {
	const parameters = path.includes("{id}")
		? [IMAGE_ID_PARAMETER, ...(path.includes("{tag}") ? [TAG_PARAMETER] : [])]
		: undefined;
	return {
		method,
		path,
		operationId,
		summary,
		tags: ["images v2"],
		...(parameters ? { parameters } : {}),
		responses: { ...responses, ...errors(401) },
		...extra,
	};
}

const patchBody = {
	required: true,
	content: {
		"application/openstack-images-v2.1-json-patch": {
			schema: { type: "array", items: { type: "object" } },
		},
		"application/openstack-images-v2.0-json-patch": {
			schema: { type: "array", items: { type: "object" } },
		},
	},
};

export const V2_OPERATIONS: Operation[] = [
	op(
		"get",
		"/v2",
		"getV2Version",
		"The v2 version document (without a token)",
		ok('{"version": {...}}'),
		{
			public: true,
			tags: ["versions"],
			description:
				"keystoneauth's discovery of a versioned endpoint. With a token: 404, as in Glance.",
		},
	),
	op("get", "/v2/images", "listImagesV2", "List images (v2)", {
		...ok(
			"`{images, first, next?, schema}`: filters, `sort=key:dir,…` or sort_key/sort_dir, limit/marker.",
		),
		...errors(400, 403),
	}),
	op(
		"post",
		"/v2/images",
		"createImageV2",
		"Create an image record (v2)",
		{
			...ok("The image (queued); `Location` is its absolute URL.", "201"),
			...errors(400, 403, 409, 413),
		},
		{ requestBody: { required: true, content: JSON_OBJECT } },
	),
	op("get", "/v2/images/{id}", "showImageV2", "Show an image (v2)", {
		...ok("The image."),
		...errors(404),
	}),
	op(
		"patch",
		"/v2/images/{id}",
		"updateImageV2",
		"Update an image with a JSON patch (v2)",
		{
			...ok("The updated image."),
			...errors(400, 403, 404, 409, 413),
			"415": { description: "Not a JSON-patch media type; `Accept-Patch` lists them." },
		},
		{ requestBody: patchBody },
	),
	op("delete", "/v2/images/{id}", "deleteImageV2", "Delete an image (v2)", {
		...NO_CONTENT,
		...errors(403, 404),
	}),
	op(
		"put",
		"/v2/images/{id}/file",
		"uploadImageDataV2",
		"Upload image data (v2)",
		{
			...NO_CONTENT,
			...errors(400, 403, 404, 409, 413),
			"415": { description: "Content-Type is not application/octet-stream." },
		},
		{
			description:
				"Chunked bodies are accepted; a failed upload leaves the image queued, as Glance v2 does.",
			requestBody: {
				required: true,
				content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
			},
		},
	),
	op("get", "/v2/images/{id}/file", "downloadImageDataV2", "Download image data (v2)", {
		"200": {
			description: "The bytes; `Content-MD5` is the hex MD5.",
			headers: requestIdHeader,
			content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
		},
		"206": { description: "A `Range` of the bytes.", headers: requestIdHeader },
		...NO_CONTENT,
		...errors(403, 404, 416),
	}),
	op("put", "/v2/images/{id}/tags/{tag}", "addTagV2", "Add a tag", {
		...NO_CONTENT,
		...errors(400, 403, 404, 413),
	}),
	op("delete", "/v2/images/{id}/tags/{tag}", "removeTagV2", "Remove a tag", {
		...NO_CONTENT,
		...errors(403, 404),
	}),
	op("post", "/v2/images/{id}/actions/deactivate", "deactivateImageV2", "Deactivate an image", {
		...NO_CONTENT,
		...errors(403, 404),
	}),
	op("post", "/v2/images/{id}/actions/reactivate", "reactivateImageV2", "Reactivate an image", {
		...NO_CONTENT,
		...errors(403, 404),
	}),
	...["image", "images", "member", "members"].map((name) =>
		op(
			"get",
			`/v2/schemas/${name}`,
			`get${name[0].toUpperCase()}${name.slice(1)}SchemaV2`,
			`The ${name} schema`,
			ok("A JSON schema, as glanceclient reads it."),
		),
	),
	op(
		"get",
		"/v2/info/import",
		"getImportInfoV2",
		"Import methods (none yet)",
		ok('`{"import-methods": {...}}`'),
	),
	op(
		"get",
		"/v2/info/stores",
		"getStoresV2",
		"Stores (404: one store, no multi-store)",
		errors(404),
	),
	op("get", "/v2/info/stores/detail", "getStoresDetailV2", "Stores in detail (404)", errors(404)),
	op(
		"get",
		"/v2/info/usage",
		"getUsageV2",
		'Quota usage (none: `{"usage": {}}`)',
		ok('`{"usage": {}}`'),
	),
];
