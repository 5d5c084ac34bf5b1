import { errors, IMAGE_ID_PARAMETER, jsonContent, requestIdHeader } from "../components";
import type { Operation } from "../types";

const SESSION = "/v1/images/{id}/upload-session";

/** Request-body examples; the API tests send each one and expect a 2xx. */
export const OPEN_SESSION_EXAMPLES = {
	sizeOnly: { summary: "A 40 GiB image", value: { size: 42949672960 } },
};

const PART_NUMBER = {
	name: "n",
	in: "path",
	required: true,
	description: "The part number, from 1 to part_count.",
	schema: { type: "integer", minimum: 1, maximum: 10000 },
};

/** The upload-session extension: images larger than one request body, sent as parts. */
export const UPLOAD_SESSION_OPERATIONS: Operation[] = [
	{
		method: "post",
		path: SESSION,
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
	},
	{
		method: "get",
		path: SESSION,
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
	},
	{
		method: "delete",
		path: SESSION,
		operationId: "abortUploadSession",
		summary: "Abort the session; the image stays queued",
		tags: ["upload sessions"],
		parameters: [IMAGE_ID_PARAMETER],
		responses: {
			"204": { description: "Aborted (no body).", headers: requestIdHeader },
			...errors(401, 404, 409),
		},
	},
	{
		method: "put",
		path: `${SESSION}/parts/{n}`,
		operationId: "uploadPart",
		summary: "Store one part (re-sending a part replaces it)",
		description:
			"The body is exactly `part_size` bytes (the last part: the remainder), as `application/octet-stream`.",
		tags: ["upload sessions"],
		parameters: [IMAGE_ID_PARAMETER, PART_NUMBER],
		requestBody: {
			required: true,
			content: {
				"application/octet-stream": {
					schema: { type: "string", contentMediaType: "application/octet-stream" },
				},
			},
		},
		responses: {
			"200": {
				description: "The part is stored.",
				headers: requestIdHeader,
				content: jsonContent("UploadedPart"),
			},
			...errors(400, 401, 404, 409, 503),
		},
	},
	{
		method: "post",
		path: `${SESSION}/complete`,
		operationId: "completeUploadSession",
		summary: "Assemble the parts; verification runs in the background",
		description:
			"Every part must be stored (400 lists the missing ones). The image becomes `saving`; poll HEAD until it is `active` (or `killed`, with the reason, if size, checksums or content checks fail).",
		tags: ["upload sessions"],
		parameters: [IMAGE_ID_PARAMETER],
		responses: {
			"202": {
				description: "Assembled; being verified.",
				headers: requestIdHeader,
				content: jsonContent("ImageEnvelope"),
			},
			...errors(400, 401, 404, 409, 503),
		},
	},
];
