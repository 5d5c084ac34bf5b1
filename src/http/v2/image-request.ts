import { MAX_MIN_VALUE, MAX_PROPERTY_KEY_LENGTH, V2_MESSAGES } from "../../domain/glance-rules";
import type { ImageMetaInput, Visibility } from "../../domain/image";
import { forbidden, invalid } from "../../domain/refusal";
import {
	isReserved,
	isWritableBase,
	V2_CREATE_IGNORED,
	V2_CREATE_READ_ONLY_FIRST,
	V2_CREATE_READ_ONLY_LATER,
} from "../../domain/v2-image-fields";
import type { FormatPolicy } from "../../domain/validate-image-meta";
import { ApiError } from "../errors";
import { hasBody, MAX_JSON_BODY, readOptionalJsonBody } from "./body";
import { imageSchemaProperties, type JsonSchema } from "./schemas";
import { schemaProblem } from "./validate";

const CUSTOM_VALUE: JsonSchema = { type: "string" };

/** 400 with Glance's prefix for a schema violation. */
export const schemaViolation = (problem: string) =>
	invalid(`Provided object does not match schema 'image': ${problem}`);

/** The schema of one attribute: its own, or a custom property's (a string). */
export function attributeSchema(name: string, formats: FormatPolicy): JsonSchema {
	return imageSchemaProperties(formats)[name] ?? CUSTOM_VALUE;
}

/** min_disk / min_ram beyond the schema: not negative, at most 2^31-1 (§2.3 step 6). */
export function checkMinValue(name: string, value: unknown): void {
	if (name !== "min_disk" && name !== "min_ram") return;
	const n = value as number;
	if (n < 0) {
		throw invalid(`Invalid value '${n}' for parameter '${name}': Cannot be a negative value`, name);
	}
	if (n > MAX_MIN_VALUE) {
		throw invalid(`'${name}' value out of range, must not exceed ${MAX_MIN_VALUE}.`, name);
	}
}

/**
 * The body of `POST /v2/images` as the core's input (glance-v2-contract §2.3), checked in
 * Glance's order: read-only links, the schema, custom keys, read-only attributes, min_* ranges.
 */
export async function readCreateBody(
	request: Request,
	formats: FormatPolicy,
): Promise<ImageMetaInput> {
	const body = await readOptionalJsonBody(request, MAX_JSON_BODY);
	if (body === undefined) throw invalid("Body expected in request.");
	if (typeof body !== "object" || body === null || Array.isArray(body)) {
		throw invalid("Unexpected body type. Expected list/dict.");
	}
	const fields = body as Record<string, unknown>;
	for (const key of V2_CREATE_READ_ONLY_FIRST) {
		if (key in fields) throw forbidden(V2_MESSAGES.readOnly(key), key);
	}
	const schema = imageSchemaProperties(formats);
	for (const [key, value] of Object.entries(fields)) {
		if ((V2_CREATE_IGNORED as readonly string[]).includes(key)) continue;
		const problem = schemaProblem(value, schema[key] ?? CUSTOM_VALUE, `/${key}`);
		if (problem) throw schemaViolation(problem);
	}
	const meta: ImageMetaInput = { properties: {} };
	const properties = meta.properties as Record<string, string>;
	for (const [key, value] of Object.entries(fields)) {
		if ((V2_CREATE_IGNORED as readonly string[]).includes(key)) continue;
		if ((V2_CREATE_READ_ONLY_LATER as readonly string[]).includes(key)) {
			throw forbidden(V2_MESSAGES.readOnly(key), key);
		}
		if (key === "locations") throw forbidden(V2_MESSAGES.reserved(key), key);
		if (key === "id") {
			meta.id = value as string;
			continue;
		}
		if (isWritableBase(key)) {
			checkMinValue(key, value);
			Object.assign(meta, { [key]: value as unknown });
			continue;
		}
		if ([...key].length > MAX_PROPERTY_KEY_LENGTH) throw invalid(V2_MESSAGES.customKeyTooLong, key);
		if (isReserved(key)) throw forbidden(V2_MESSAGES.reserved(key), key);
		properties[key] = value as string;
	}
	if (meta.visibility !== undefined) meta.visibility = meta.visibility as Visibility;
	return meta;
}

/** A route that takes no body (glance-v2-contract §2.1 "nb") refuses one. */
export function refuseBody(request: Request): void {
	if (hasBody(request)) throw new ApiError(400, "A body is not expected with this request.");
}
