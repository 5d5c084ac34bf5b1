import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MESSAGES } from "../domain/glance-rules";
import { publicImage } from "../domain/image";
import { invalid, notFound } from "../domain/refusal";
import { parseRange } from "../http/byte-range";
import { ApiError, methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { imageMetaHeaders, purgeRequested } from "../http/image-headers";
import { jsonUpdatePurges, readImageRequest } from "../http/image-request";
import { wantsImageRecord } from "../http/negotiation";
import {
	CONTENT_LENGTH,
	errors,
	headErrors,
	IMAGE_ID_PARAMETER,
	IMAGE_JSON_SCHEMA,
	jsonContent,
	OCTET_STREAM,
	requestIdHeader,
} from "../openapi/components";
import { describe, describeHead } from "../openapi/describe";
import {
	imageMetaHeaderParameters,
	imageMetaResponseHeaders,
	PROPERTY_HEADERS_DOC,
} from "../openapi/image-headers";
import { ImageSchema } from "../schemas/responses";
import { deleteImage } from "../services/image-delete";
import { openImageData } from "../services/image-download";
import { findVisibleImage } from "../services/image-lookup";
import { putImage } from "../services/image-put";
import { imageJson } from "./image-responses";

const RESPONSE_FIELDS = Object.keys(ImageSchema.entries);

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

const PURGE_PROPS = {
	name: "x-glance-registry-purge-props",
	in: "header",
	required: false,
	description:
		"On a metadata update (no data), properties not sent are removed unless this is `false` (glanceclient sends false).",
	schema: { type: "string", default: "true" },
};

const getImageMetaDoc = describeHead({
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
});

const downloadImageDoc = describe({
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
});

const downloadImageFileDoc = describe({
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
});

const updateImageDoc = describe({
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
			"application/json": { schema: IMAGE_JSON_SCHEMA },
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
});

const deleteImageDoc = describe({
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
});

/** HEAD / GET / PUT / DELETE /v1/images/{id}. */
export function imageItemRoutes() {
	const app = new Hono<AppEnv>();

	// Hono routes HEAD through the GET handler (and drops the body); the method tells them apart.
	// /file is Glance v2's download path, which openstacksdk's v1 `download_image` uses too.
	// Each path is registered on its own so that each carries its own description.
	const download = async (c: Context<AppEnv, "/images/:id">) => {
		const { image } = await findVisibleImage(c.var.images, c.var.identity, c.req.param("id"));
		const alias = c.req.path.endsWith("/file");
		if (!alias && c.req.method === "GET" && wantsImageRecord(c.req.raw.headers)) {
			// As the data GET: a deleted image is gone for everyone (only admins' HEAD shows it).
			if (image.deleted) throw notFound(MESSAGES.imageNotFound(image.id));
			c.header("Vary", "Accept, User-Agent");
			return imageJson(c, image, 200);
		}
		const headers = imageMetaHeaders(publicImage(image));
		if (c.req.method === "HEAD") {
			// Not JSON: glanceclient would try to parse the empty body.
			headers.set("Content-Type", "text/plain; charset=UTF-8");
			return new Response(null, { status: 200, headers });
		}
		const size = image.size ?? 0;
		const range = parseRange(
			c.req.header("range") ?? null,
			size,
			c.req.header("if-range") ?? null,
			image.checksum,
		);
		if (range === "unsatisfiable" && image.status === "active") {
			throw new ApiError(
				416,
				`The requested range is not satisfiable for an image of ${size} bytes.`,
				{
					headers: { "Content-Range": `bytes */${size}` },
				},
			);
		}
		const part = range === "unsatisfiable" ? null : range;
		const blob = await openImageData(c.var.blobs, image, part ?? undefined);
		// glanceclient streams only an exact application/octet-stream body.
		headers.set("Content-Type", "application/octet-stream");
		headers.set("Accept-Ranges", "bytes");
		if (part) {
			headers.set("Content-Length", String(part.length));
			headers.set("Content-Range", `bytes ${part.offset}-${part.offset + part.length - 1}/${size}`);
			return new Response(blob.body, { status: 206, headers });
		}
		headers.set("Content-Length", String(size));
		// Glance v2 sent the hex MD5 as Content-MD5; openstacksdk verifies the download against it.
		if (alias && image.checksum) headers.set("Content-MD5", image.checksum);
		if (!alias) headers.set("Vary", "Accept, User-Agent");
		return new Response(blob.body, { status: 200, headers });
	};
	app.get("/images/:id", getImageMetaDoc, downloadImageDoc, download);
	app.get("/images/:id/file", downloadImageFileDoc, download);
	app.put("/images/:id", updateImageDoc, async (c) => {
		const request = await readImageRequest(c, true);
		const { meta, hasData } = request;
		const data = hasData ? imageDataOf(c.req.raw) : null;
		if (hasData && !data) throw invalid(MESSAGES.disconnected);
		const header = c.req.header("x-glance-registry-purge-props");
		const purge =
			request.form === "json" ? jsonUpdatePurges(request, header) : purgeRequested(header);
		return imageJson(c, await putImage(c.var, c.req.param("id"), { meta, purge, data }), 200);
	});

	app.delete("/images/:id", deleteImageDoc, async (c) => {
		await deleteImage(c.var, c.req.param("id"));
		// 200 with an empty body, as Glance answered; not JSON, or glanceclient tries to parse it.
		return new Response(null, {
			status: 200,
			headers: { "Content-Type": "text/plain; charset=UTF-8" },
		});
	});

	app.all("/images/:id/file", () => {
		throw methodNotAllowed(["GET", "HEAD"]);
	});
	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
	});

	return app;
}
