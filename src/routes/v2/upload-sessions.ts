import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { methodNotAllowed } from "../../http/errors";
import { declaredAtCompletion, sessionPartOf } from "../../http/image-data";
import { v2Image } from "../../http/v2/image-view";
import { validJson } from "../../http/validate";
import {
	errors,
	IMAGE_ID_PARAMETER,
	jsonContent,
	PART_BODY,
	PART_NUMBER_PARAMETER,
	requestIdHeader,
} from "../../openapi/components";
import { describe } from "../../openapi/describe";
import { OpenSessionSchema } from "../../schemas/upload-session";
import {
	abortStagingSession,
	completeStagingSession,
	openStagingSession,
	readStagingSession,
	uploadStagingPart,
} from "../../services/staging-sessions";
import { noContent, v2Json } from "./images";

const TAGS = ["images v2"];

const openStagingSessionDoc = describe({
	operationId: "openStagingSessionV2",
	summary: "Stage image data in parts for an import (extension)",
	description:
		"For images larger than one request (`PUT …/stage` is held to MAX_REQUEST_BYTES): the upload-session extension, staging. The image becomes `uploading` and the size is reserved against the owner's storage quota; `checksum` (MD5) and `os_hash_value` (SHA-512), if given, are checked by the import. The answer gives `part_size` and `part_count`: PUT each part (any order, in parallel, resumable), POST `complete`, then `POST …/import` with glance-direct.",
	tags: TAGS,
	parameters: [IMAGE_ID_PARAMETER],
	requestBody: { required: true, content: jsonContent("OpenUploadSession") },
	responses: {
		"201": {
			description: "The session is open; the image is uploading.",
			headers: requestIdHeader,
			content: jsonContent("UploadSession"),
		},
		...errors(400, 401, 403, 404, 409, 413, 503),
	},
});

const getStagingSessionDoc = describe({
	operationId: "getStagingSessionV2",
	summary: "The staging session and which parts are stored (to resume)",
	tags: TAGS,
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"200": {
			description: "The session (`state` is `verifying` once completed).",
			headers: requestIdHeader,
			content: jsonContent("UploadSession"),
		},
		...errors(401, 403, 404),
	},
});

const abortStagingSessionDoc = describe({
	operationId: "abortStagingSessionV2",
	summary: "Abort the staging session; the image is queued again",
	tags: TAGS,
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"204": { description: "Aborted (no body); the parts are removed.", headers: requestIdHeader },
		...errors(401, 403, 404, 409),
	},
});

const uploadStagingPartDoc = describe({
	operationId: "uploadStagingPartV2",
	summary: "Store one staged part (re-sending a part replaces it)",
	description:
		"The body is exactly `part_size` bytes (the last part: the remainder), as `application/octet-stream`.",
	tags: TAGS,
	parameters: [IMAGE_ID_PARAMETER, PART_NUMBER_PARAMETER],
	requestBody: PART_BODY,
	responses: {
		"200": {
			description: "The part is stored.",
			headers: requestIdHeader,
			content: jsonContent("UploadedPart"),
		},
		...errors(400, 401, 403, 404, 409, 503),
	},
});

const completeStagingSessionDoc = describe({
	operationId: "completeStagingSessionV2",
	summary: "Assemble the staged parts; the image is staged",
	description:
		"Every part must be stored (400 lists the missing ones). The answer is the image, `uploading` with its `size`: ready for `POST …/import` (glance-direct), which verifies size, digests and content in the background. The optional body declares digests the data must have, as v1's completion does.",
	tags: TAGS,
	parameters: [IMAGE_ID_PARAMETER],
	requestBody: { required: false, content: jsonContent("CompleteUploadSession") },
	responses: {
		"200": {
			description: "Staged: the image (v2 record).",
			headers: requestIdHeader,
			content: { "application/json": { schema: { type: "object" } } },
		},
		...errors(400, 401, 403, 404, 409, 410, 503),
	},
});

/**
 * Glance v2's stage in parts (an extension, not in Glance): the upload-session routes of v1
 * under v2, where a session stages the image's data for `POST …/import`.
 */
export function v2UploadSessionRoutes() {
	const app = new Hono<AppEnv>();
	const base = "/images/:id/upload-session";

	app.post(base, openStagingSessionDoc, validJson(OpenSessionSchema), async (c) => {
		const session = await openStagingSession(c.var, c.req.param("id"), c.req.valid("json"));
		return c.json({ session }, 201);
	});
	app.get(base, getStagingSessionDoc, async (c) =>
		c.json({ session: await readStagingSession(c.var, c.req.param("id")) }),
	);
	app.delete(base, abortStagingSessionDoc, async (c) => {
		await abortStagingSession(c.var, c.req.param("id"));
		return noContent();
	});
	app.all(base, () => {
		throw methodNotAllowed(["GET", "POST", "DELETE"]);
	});

	app.put(`${base}/parts/:n`, uploadStagingPartDoc, async (c) => {
		const { partNumber, data } = sessionPartOf(c.req.raw, c.req.param("n"));
		const part = await uploadStagingPart(c.var, c.req.param("id"), partNumber, data);
		return c.json({ part });
	});
	app.all(`${base}/parts/:n`, () => {
		throw methodNotAllowed(["PUT"]);
	});

	app.post(`${base}/complete`, completeStagingSessionDoc, async (c) => {
		const declared = await declaredAtCompletion(c.req.raw);
		return v2Json(v2Image(await completeStagingSession(c.var, c.req.param("id"), declared)));
	});
	app.all(`${base}/complete`, () => {
		throw methodNotAllowed(["POST"]);
	});

	return app;
}
