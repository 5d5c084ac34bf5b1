import { errors, IMAGE_ID_PARAMETER, MEMBER_PARAMETER, requestIdHeader } from "./components";
import type { RouteDoc } from "./describe";
import type { Json } from "./types";

/**
 * Image API v2's operations (glance-v2-contract), briefly: the routes in src/routes/v2/ carry
 * them with describe(). The records' schemas are the server's own `/v2/schemas/*` documents.
 */
const JSON_OBJECT = { "application/json": { schema: { type: "object" } } };
const BINARY = { "application/octet-stream": { schema: { type: "string", format: "binary" } } };
const ok = (description: string, status = "200"): Record<string, Json> => ({
	[status]: { description, headers: requestIdHeader, content: JSON_OBJECT },
});
const NO_CONTENT = { "204": { description: "Done (no body).", headers: requestIdHeader } };
const TAG_PARAMETER = { name: "tag", in: "path", required: true, schema: { type: "string" } };
const TAGS = ["images v2"];
const MEMBER_TAGS = ["members v2"];

function doc(
	operationId: string,
	summary: string,
	responses: Record<string, Json>,
	extra: Partial<RouteDoc> = {},
): RouteDoc {
	return {
		operationId,
		summary,
		tags: TAGS,
		responses: { ...responses, ...errors(401) },
		...extra,
	};
}

const withId = { parameters: [IMAGE_ID_PARAMETER] };
const patchContent = { schema: { type: "array", items: { type: "object" } } };

export const V2_DOCS = {
	version: {
		operationId: "getV2Version",
		summary: "The v2 version document (without a token)",
		description:
			"keystoneauth's discovery of a versioned endpoint answers `{\"version\": {...}}`. With a token: 404, as Glance's v2 router has no root.",
		tags: ["versions"],
		security: [],
		responses: ok('`{"version": {"id": "v2.15", ...}}`'),
	} satisfies RouteDoc,
	list: doc("listImagesV2", "List images (v2)", {
		...ok(
			"`{images, first, next?, schema}`: filters, `sort=key:dir,…` or sort_key/sort_dir, limit/marker.",
		),
		...errors(400, 403),
	}),
	create: doc(
		"createImageV2",
		"Create an image record (v2)",
		{
			...ok("The image (queued); `Location` is its absolute URL.", "201"),
			...errors(400, 403, 409, 413),
		},
		{ requestBody: { required: true, content: JSON_OBJECT } },
	),
	show: doc("showImageV2", "Show an image (v2)", { ...ok("The image."), ...errors(404) }, withId),
	update: doc(
		"updateImageV2",
		"Update an image with a JSON patch (v2)",
		{
			...ok("The updated image."),
			...errors(400, 403, 404, 409, 413),
			"415": { description: "Not a JSON-patch media type; `Accept-Patch` lists them." },
		},
		{
			...withId,
			requestBody: {
				required: true,
				content: {
					"application/openstack-images-v2.1-json-patch": patchContent,
					"application/openstack-images-v2.0-json-patch": patchContent,
				},
			},
		},
	),
	delete: doc(
		"deleteImageV2",
		"Delete an image (v2)",
		{ ...NO_CONTENT, ...errors(403, 404) },
		withId,
	),
	upload: doc(
		"uploadImageDataV2",
		"Upload image data (v2)",
		{
			...NO_CONTENT,
			...errors(400, 403, 404, 409, 410, 413),
			"415": { description: "Content-Type is not application/octet-stream." },
		},
		{
			...withId,
			description:
				"Chunked bodies are accepted; a failed upload leaves the image queued, as Glance v2 does.",
			requestBody: { required: true, content: BINARY },
		},
	),
	download: doc(
		"downloadImageDataV2",
		"Download image data (v2)",
		{
			"200": {
				description: "The bytes; `Content-MD5` is the hex MD5.",
				headers: requestIdHeader,
				content: BINARY,
			},
			"206": { description: "A `Range` of the bytes.", headers: requestIdHeader },
			...NO_CONTENT,
			...errors(403, 404, 416),
		},
		withId,
	),
	addTag: doc(
		"addTagV2",
		"Add a tag",
		{ ...NO_CONTENT, ...errors(400, 403, 404, 413) },
		{
			parameters: [IMAGE_ID_PARAMETER, TAG_PARAMETER],
		},
	),
	removeTag: doc(
		"removeTagV2",
		"Remove a tag",
		{ ...NO_CONTENT, ...errors(403, 404) },
		{
			parameters: [IMAGE_ID_PARAMETER, TAG_PARAMETER],
		},
	),
	deactivate: doc(
		"deactivateImageV2",
		"Deactivate an image",
		{ ...NO_CONTENT, ...errors(403, 404) },
		withId,
	),
	reactivate: doc(
		"reactivateImageV2",
		"Reactivate an image",
		{ ...NO_CONTENT, ...errors(403, 404) },
		withId,
	),
	listMembers: doc(
		"listMembersV2",
		"List an image's members",
		{
			...ok(
				"`{members, schema}`: every membership for the owner and admins, the caller's own for a member.",
			),
			...errors(403, 404),
		},
		{ ...withId, tags: MEMBER_TAGS },
	),
	addMember: doc(
		"addMemberV2",
		"Share an image with a project",
		{
			...ok("The membership, `pending` until the project accepts it (200, as Glance answers)."),
			...errors(400, 403, 404, 409, 413),
		},
		{
			...withId,
			tags: MEMBER_TAGS,
			description:
				'Body `{"member": "<project id>"}`. Only the owner or an admin, only on a `shared` image (403 otherwise); a current member is 409.',
			requestBody: { required: true, content: JSON_OBJECT },
		},
	),
	getMember: doc(
		"getMemberV2",
		"Show one membership",
		{ ...ok("The membership."), ...errors(404) },
		{ parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER], tags: MEMBER_TAGS },
	),
	updateMember: doc(
		"updateMemberV2",
		"Accept, reject or reset a membership",
		{ ...ok("The membership with its new status."), ...errors(400, 403, 404) },
		{
			parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
			tags: MEMBER_TAGS,
			description:
				'Body `{"status": "accepted" | "rejected" | "pending"}`. Only the member itself or an admin (the owner: 403). Accepted images appear in the member\'s default image list.',
			requestBody: { required: true, content: JSON_OBJECT },
		},
	),
	removeMember: doc(
		"removeMemberV2",
		"Stop sharing an image with a project",
		{ ...NO_CONTENT, ...errors(403, 404) },
		{ parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER], tags: MEMBER_TAGS },
	),
	projectLookup: doc(
		"projectLookupV2",
		"Project lookups (always 403: not an identity service)",
		errors(403),
		{
			tags: MEMBER_TAGS,
			description:
				"The openstack CLI on token auth asks the image endpoint to resolve a project; on 403 it uses the project as given, so pass project ids.",
		},
	),
	schema: (name: string) =>
		doc(
			`get${name[0].toUpperCase()}${name.slice(1)}SchemaV2`,
			`The ${name} schema`,
			ok("A JSON schema, as glanceclient reads it."),
		),
	importInfo: doc(
		"getImportInfoV2",
		"Import methods: glance-direct",
		ok('`{"import-methods": {"value": ["glance-direct"], ...}}`'),
	),
	stage: doc(
		"stageImageDataV2",
		"Stage image data for an import (v2)",
		{
			...NO_CONTENT,
			...errors(400, 403, 404, 409, 410, 413),
			"415": { description: "Content-Type is not application/octet-stream." },
		},
		{
			...withId,
			description:
				"The image becomes `uploading`; its data is kept (not downloadable) for `POST …/import`. Chunked bodies are accepted; the request limit and storage quota apply. Larger images are staged in parts through `/v2/images/{id}/upload-session`. A failure leaves the image queued.",
			requestBody: { required: true, content: BINARY },
		},
	),
	import: doc(
		"importImageV2",
		"Import staged data (glance-direct)",
		{
			"202": {
				description: "Accepted (no body): the image is `importing`.",
				headers: requestIdHeader,
			},
			...errors(400, 403, 404, 409, 503),
		},
		{
			...withId,
			description:
				'Body `{"method": {"name": "glance-direct"}}`. The staged data is verified in the background (size, MD5, SHA-512, content checks); then the image is `active`, or `queued` again with the reason on its task (`GET …/tasks`).',
			requestBody: { required: true, content: JSON_OBJECT },
		},
	),
	tasks: doc("getImageTasksV2", "The image's latest import, as a task", ok('`{"tasks": [...]}`'), {
		...withId,
		responses: { ...ok('`{"tasks": [...]}`'), ...errors(401, 404) },
	}),
	stores: doc("getStoresV2", "Stores (404: one store, no multi-store)", errors(404)),
	storesDetail: doc("getStoresDetailV2", "Stores in detail (404)", errors(404)),
	usage: doc(
		"getUsageV2",
		"Quota usage: stored and staged data, image counts",
		ok(
			'`{"usage": {"image_size_total": {"limit", "usage"}, "image_stage_total", "image_count_total", "image_count_uploading"}}`: sizes in MiB as Glance reports them (`limit` -1: unlimited), with the exact bytes beside them.',
		),
	),
};
