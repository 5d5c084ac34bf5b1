import { MAX_JSON_BODY_BYTES } from "../domain/glance-rules";
import type { ImageMetaInput } from "../domain/image";
import type { FieldNamer } from "../domain/validate-image-meta";
import { badRequest } from "../errors";
import { CreateImageJsonSchema, ImageMetaSchema } from "../schemas/image-meta";
import { parseImageMetaHeaders } from "./image-headers";
import { hasBody, mediaType, readJsonBody } from "./json-body";
import { parseOrThrow } from "./validate";

export interface ImageRequest {
	form: "json" | "headers";
	meta: ImageMetaInput;
	/** Names a field the way the client sent it: a JSON key or an x-image-meta-* header. */
	fieldName: FieldNamer;
	/** True when the body holds image bytes (application/octet-stream). */
	hasData: boolean;
}

const headerName: FieldNamer = (field) =>
	field.startsWith("properties.")
		? `x-image-meta-property-${field.slice("properties.".length)}`
		: `x-image-meta-${field}`;
const jsonName: FieldNamer = (field) => field;

/** Property keys from any source follow the header form's rule: lower case, `-` → `_`. */
function normalizeProperties(meta: ImageMetaInput): void {
	if (!meta.properties) return;
	const normalized: Record<string, string | null> = {};
	for (const [key, value] of Object.entries(meta.properties)) {
		normalized[key.toLowerCase().replaceAll("-", "_")] = value;
	}
	meta.properties = normalized;
}

/**
 * Reads image metadata from a POST/PUT: a JSON body (`application/json`, optionally wrapped as
 * `{"image": {...}}`), or Glance v1's x-image-meta-* headers with the image bytes, if any,
 * as an `application/octet-stream` body.
 */
export async function readImageRequest(
	request: Request,
	allowJson: boolean,
): Promise<ImageRequest> {
	const type = mediaType(request.headers.get("content-type"));
	const withBody = hasBody(request);
	if (type === "application/json" && allowJson && withBody) {
		if ([...request.headers.keys()].some((h) => h.startsWith("x-image-meta-"))) {
			throw badRequest(
				"Send image metadata either as a JSON body or as x-image-meta-* headers, not both.",
			);
		}
		let body = await readJsonBody(request, MAX_JSON_BODY_BYTES);
		if (isWrapped(body)) body = body.image;
		if (typeof body !== "object" || body === null || Array.isArray(body)) {
			throw badRequest("The request body must be a JSON object");
		}
		const meta = parseOrThrow(CreateImageJsonSchema, body, jsonName) as ImageMetaInput;
		normalizeProperties(meta);
		return { form: "json", meta, fieldName: jsonName, hasData: false };
	}
	const meta = parseOrThrow(ImageMetaSchema, parseImageMetaHeaders(request.headers), headerName);
	if (withBody && type !== "application/octet-stream") {
		const expected = allowJson
			? "application/json or application/octet-stream"
			: "application/octet-stream";
		throw badRequest(`Content-Type must be ${expected}`, "Content-Type");
	}
	return { form: "headers", meta, fieldName: headerName, hasData: withBody };
}

function isWrapped(body: unknown): body is { image: unknown } {
	return (
		typeof body === "object" &&
		body !== null &&
		!Array.isArray(body) &&
		Object.keys(body).length === 1 &&
		"image" in body &&
		typeof body.image === "object"
	);
}
