import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES, MESSAGES } from "../domain/glance-rules";
import type { ImageMetaInput } from "../domain/image";
import { invalid } from "../domain/refusal";
import { CreateImageJsonSchema, ImageMetaSchema, PROPERTIES_NOT_MAP } from "../schemas/image-meta";
import type { MetaForm } from "./errors";
import { parseImageMetaHeaders, purgeRequested } from "./image-headers";
import { hasBody, mediaType, readJsonBody } from "./json-body";
import { foldEnvelopeBody, liftCoreProperties } from "./json-image-body";
import { parseOrThrow } from "./validate";

const JSON_FIELDS: ReadonlySet<string> = new Set(Object.keys(CreateImageJsonSchema.entries));

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
		const wrapped = isWrapped(body);
		if (wrapped) body = (body as { image: unknown }).image;
		if (typeof body !== "object" || body === null || Array.isArray(body)) {
			throw invalid("The request body must be a JSON object");
		}
		let fields = body as Record<string, unknown>;
		// The envelope is openstacksdk's; the bare object is our registration form, kept strict.
		if (wrapped) fields = foldEnvelopeBody(fields, JSON_FIELDS);
		// valibot's record takes a list too, and its indexes would become property names.
		if (Array.isArray(fields.properties)) throw invalid(PROPERTIES_NOT_MAP, "properties");
		for (const key of ["location", "copy_from"]) {
			if (key in fields) throw invalid(MESSAGES.externalSource(String(fields[key])), key);
		}
		// validate_checksum is openstacksdk's own switch (it checks what it downloads); the server
		// verifies every declared checksum anyway.
		const { validate_checksum: _clientSide, ...meta } = parseOrThrow(
			CreateImageJsonSchema,
			liftCoreProperties(fields),
		) as ImageMetaInput & { validate_checksum?: boolean };
		normalizeProperties(meta);
		return { form: "json", meta, hasData: false };
	}
	const meta = parseOrThrow(ImageMetaSchema, parseImageMetaHeaders(request.headers));
	// openstacksdk uploads with `PUT /v1/images/{id}` and no Content-Type at all; a body that says
	// it is something else is still refused, as Glance refused it.
	const untypedUpload = c.req.method === "PUT" && !request.headers.has("content-type");
	if (withBody && type !== "application/octet-stream" && !untypedUpload) {
		// A PUT names only the data type: the message Glance gave and glanceclient users know.
		const expected =
			allowJson && c.req.method !== "PUT"
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

/**
 * Whether a JSON update replaces the property set. Header-form updates follow Glance's
 * x-glance-registry-purge-props (absent means purge); openstacksdk's JSON update sends only what
 * it changes, so the properties it names are merged unless that header explicitly asks to purge.
 */
export function jsonUpdatePurges(request: ImageRequest, header: string | undefined): boolean {
	return request.meta.properties !== undefined && header !== undefined && purgeRequested(header);
}
