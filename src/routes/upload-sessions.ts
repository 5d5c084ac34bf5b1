import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../http/errors";
import { declaredAtCompletion, sessionPartOf } from "../http/image-data";
import { validJson } from "../http/validate";
import {
	errors,
	IMAGE_ID_PARAMETER,
	jsonContent,
	PART_BODY,
	PART_NUMBER_PARAMETER,
	requestIdHeader,
} from "../openapi/components";
import { describe } from "../openapi/describe";
import { OpenSessionSchema } from "../schemas/upload-session";
import {
	abortSession,
	completeSession,
	openSession,
	readSession,
	uploadPart,
} from "../services/upload-sessions";
import { imageJson } from "./image-responses";

/*
 * How a route is documented (every route file follows it): its OpenAPI operation is a
 * `describe({...})` constant named after the operationId, mounted before the handler, next to
 * the body validator if the route has one:
 *
 *     app.post(path, openUploadSessionDoc, validJson(OpenSessionSchema), async (c) => ...);
 *
 * /openapi.json collects these from the app's routes (openapi/document.ts); a route without one
 * fails test/api/openapi.test.ts. `security: []` marks a route that needs no token; schemas are
 * `jsonContent("<name>")`, a name from openapi/components.ts's SCHEMAS (the same valibot schema
 * the validator runs, or the response schema the API tests parse real answers with); `errors()`
 * lists the shared error answers. A HEAD served by a GET handler takes describeHead({...}).
 */

/** Request-body examples; the API tests send each one and expect a 2xx. */
const OPEN_SESSION_EXAMPLES = {
	sizeOnly: { summary: "A 40 GiB image", value: { size: 42949672960 } },
};

const openUploadSessionDoc = describe({
	operationId: "openUploadSession",
	summary: "Start a multipart upload of a queued image (extension)",
	description:
		"For images larger than the edge's request limit (MAX_REQUEST_BYTES). The answer gives `part_size` and `part_count`: PUT each part (any order, in parallel, resumable), then POST `complete`. The image's owner and its storage quota are checked here.",
	tags: ["upload sessions"],
	parameters: [IMAGE_ID_PARAMETER],
	requestBody: {
		required: true,
		content: jsonContent("OpenUploadSession", { examples: OPEN_SESSION_EXAMPLES }),
	},
	responses: {
		"201": {
			description: "The session is open.",
			headers: requestIdHeader,
			content: jsonContent("UploadSession"),
		},
		...errors(400, 401, 403, 404, 409, 413, 503),
	},
});

const getUploadSessionDoc = describe({
	operationId: "getUploadSession",
	summary: "The session and which parts are stored (to resume)",
	tags: ["upload sessions"],
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"200": {
			description: "The session.",
			headers: requestIdHeader,
			content: jsonContent("UploadSession"),
		},
		...errors(401, 404),
	},
});

const abortUploadSessionDoc = describe({
	operationId: "abortUploadSession",
	summary: "Abort the session; the image stays queued",
	tags: ["upload sessions"],
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"204": { description: "Aborted (no body).", headers: requestIdHeader },
		...errors(401, 404, 409),
	},
});

const uploadPartDoc = describe({
	operationId: "uploadPart",
	summary: "Store one part (re-sending a part replaces it)",
	description:
		"The body is exactly `part_size` bytes (the last part: the remainder), as `application/octet-stream`.",
	tags: ["upload sessions"],
	parameters: [IMAGE_ID_PARAMETER, PART_NUMBER_PARAMETER],
	requestBody: PART_BODY,
	responses: {
		"200": {
			description: "The part is stored.",
			headers: requestIdHeader,
			content: jsonContent("UploadedPart"),
		},
		...errors(400, 401, 404, 409, 503),
	},
});

const completeUploadSessionDoc = describe({
	operationId: "completeUploadSession",
	summary: "Assemble the parts and verify them",
	description:
		"Every part must be stored (400 lists the missing ones). Parts are hashed as they arrive, so when they were sent in order the image is verified by this request and answered `active` (or `killed`, with the reason, if size, checksums or content checks fail); otherwise it is `saving` while the rest is hashed in the background: poll HEAD. The optional body declares digests the data must have (for a client that hashed its file while sending it).",
	tags: ["upload sessions"],
	parameters: [IMAGE_ID_PARAMETER],
	requestBody: {
		required: false,
		content: jsonContent("CompleteUploadSession"),
	},
	responses: {
		"202": {
			description: "Assembled; verified (`active` or `killed`) or being verified (`saving`).",
			headers: requestIdHeader,
			content: jsonContent("ImageEnvelope"),
		},
		...errors(400, 401, 404, 409, 503),
	},
});

/**
 * The upload-session extension (not part of Glance v1): an image larger than one request body
 * is sent as numbered parts, in any order and in parallel, then verified in the background.
 */
export function uploadSessionRoutes() {
	const app = new Hono<AppEnv>();
	const base = "/images/:id/upload-session";

	app.post(base, openUploadSessionDoc, validJson(OpenSessionSchema), async (c) => {
		const session = await openSession(c.var, c.req.param("id"), c.req.valid("json"));
		return c.json({ session }, 201);
	});
	app.get(base, getUploadSessionDoc, async (c) =>
		c.json({ session: await readSession(c.var, c.req.param("id")) }),
	);
	app.delete(base, abortUploadSessionDoc, async (c) => {
		await abortSession(c.var, c.req.param("id"));
		return new Response(null, { status: 204 });
	});
	app.all(base, () => {
		throw methodNotAllowed(["GET", "POST", "DELETE"]);
	});

	app.put(`${base}/parts/:n`, uploadPartDoc, async (c) => {
		const { partNumber, data } = sessionPartOf(c.req.raw, c.req.param("n"));
		const part = await uploadPart(c.var, c.req.param("id"), partNumber, data);
		return c.json({ part });
	});
	app.all(`${base}/parts/:n`, () => {
		throw methodNotAllowed(["PUT"]);
	});

	app.post(`${base}/complete`, completeUploadSessionDoc, async (c) => {
		const declared = await declaredAtCompletion(c.req.raw);
		return imageJson(c, await completeSession(c.var, c.req.param("id"), declared), 202);
	});
	app.all(`${base}/complete`, () => {
		throw methodNotAllowed(["POST"]);
	});

	return app;
}
