import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES, MESSAGES } from "../domain/glance-rules";
import { invalid } from "../domain/refusal";
import { methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { readImageRequest } from "../http/image-request";
import {
	CONTENT_LENGTH,
	errors,
	IMAGE_JSON_SCHEMA,
	jsonContent,
	OCTET_STREAM,
	requestIdHeader,
} from "../openapi/components";
import { describe } from "../openapi/describe";
import { imageMetaHeaderParameters, PROPERTY_HEADERS_DOC } from "../openapi/image-headers";
import { createImage } from "../services/image-create";
import { imageJson, imageUrl, locationUri } from "./image-responses";

const LOCATION_HEADER = {
	Location: {
		description: "The image's URL: `<endpoint>/v1/images/<id>`.",
		schema: { type: "string", format: "uri" },
	},
	...requestIdHeader,
};

/** Request-body examples; the API tests send each one and expect a 2xx. */
const CREATE_IMAGE_EXAMPLES = {
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

const SDK_JSON_DOC = [
	'- **`{"image": {...}}`** (openstacksdk\'s envelope): the same fields, and any other key is a property (the SDK spreads properties at the top level).',
	"  In either JSON form `validate_checksum` (sent by openstacksdk's `create_image`) is accepted and ignored, and `min_ram`, `min_disk`, `is_public`, `protected` / `is_protected` and `owner` / `owner_id` inside `properties` are taken as those fields (where `create_image` puts them).",
].join("\n");

const createImageDoc = describe({
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
			"application/json": { schema: IMAGE_JSON_SCHEMA, examples: CREATE_IMAGE_EXAMPLES },
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
});

/** POST /v1/images: register (202), or register and upload in one request (201). */
export function imageCollectionRoutes() {
	const app = new Hono<AppEnv>();

	app.post("/images", createImageDoc, async (c) => {
		const { meta, form, hasData } = await readImageRequest(c, true);
		const data = hasData ? imageDataOf(c.req.raw) : null;
		if (hasData && !data) throw invalid(MESSAGES.disconnected);
		const created = await createImage(c.var, { meta, data, acceptsData: form === "headers" });
		const { image } = created;
		c.header("Location", imageUrl(c, image.id));
		return imageJson(c, image, created.withData ? 201 : 202, {
			location: locationUri(c, image),
		});
	});
	app.all("/images", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	return app;
}
