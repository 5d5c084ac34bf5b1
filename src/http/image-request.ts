import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES } from "../domain/glance-rules";
import type { ImageMetaInput } from "../domain/image";
import { invalid } from "../domain/refusal";
import { CreateImageJsonSchema, ImageMetaSchema, PROPERTIES_NOT_MAP } from "../schemas/image-meta";
import type { MetaForm } from "./errors";
import { parseImageMetaHeaders } from "./image-headers";
import { hasBody, mediaType, readJsonBody } from "./json-body";
import { parseOrThrow } from "./validate";

export interface ImageRequest {
	form: MetaForm;
	meta: ImageMetaInput;
	/** True when the body holds image bytes (application/octet-stream). */
	hasData: boolean;
}

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
 * as an `application/octet-stream` body. Records the form on the context, so every refusal
 * from here on names its field the way this request spelled it.
 */
export async function readImageRequest(
	c: Context<AppEnv>,
	allowJson: boolean,
): Promise<ImageRequest> {
	const request = c.req.raw;
	const type = mediaType(request.headers.get("content-type"));
	const withBody = hasBody(request);
	const json = type === "application/json" && allowJson && withBody;
	c.set("metaForm", json ? "json" : "headers");
	if (json) {
		if ([...request.headers.keys()].some((h) => h.startsWith("x-image-meta-"))) {
			throw invalid(
				"Send image metadata either as a JSON body or as x-image-meta-* headers, not both.",
			);
		}
		let body = await readJsonBody(request, MAX_JSON_BODY_BYTES);
		if (isWrapped(body)) body = body.image;
		if (typeof body !== "object" || body === null || Array.isArray(body)) {
			throw invalid("The request body must be a JSON object");
		}
		// valibot's record takes a list too, and its indexes would become property names.
		if (Array.isArray((body as { properties?: unknown }).properties)) {
			throw invalid(PROPERTIES_NOT_MAP, "properties");
		}
		const meta = parseOrThrow(CreateImageJsonSchema, body) as ImageMetaInput;
		normalizeProperties(meta);
		return { form: "json", meta, hasData: false };
	}
	const meta = parseOrThrow(ImageMetaSchema, parseImageMetaHeaders(request.headers));
	if (withBody && type !== "application/octet-stream") {
		const expected = allowJson
			? "application/json or application/octet-stream"
			: "application/octet-stream";
		throw invalid(`Content-Type must be ${expected}`, "Content-Type");
	}
	return { form: "headers", meta, hasData: withBody };
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
