import { invalid } from "../../domain/refusal";
import { checkPatchable } from "../../domain/v2-image-fields";
import type { FormatPolicy } from "../../domain/validate-image-meta";
import type { PatchOperation } from "../../services/image-patch";
import { ApiError } from "../errors";
import { mediaType } from "../json-body";
import { MAX_JSON_BODY, readOptionalJsonBody } from "./body";
import { attributeSchema, checkMinValue, schemaViolation } from "./image-request";
import { schemaProblem } from "./validate";

export const PATCH_V21 = "application/openstack-images-v2.1-json-patch";
export const PATCH_V20 = "application/openstack-images-v2.0-json-patch";
const ACCEPT_PATCH = `${PATCH_V20}, ${PATCH_V21}`;
const OPS = ["add", "remove", "replace"] as const;
type Op = (typeof OPS)[number];

/**
 * A JSON pointer of one segment (`/name`), unescaped and trimmed as Glance does; locations'
 * two-segment pointers are refused by checkPatchable like every locations operation.
 */
function pointerName(path: unknown): string {
	if (typeof path !== "string") throw invalid("Pointer must be a string.");
	if (!path.startsWith("/")) throw invalid(`Pointer \`${path}\` does not start with "/".`);
	const segments = path.slice(1).split("/");
	if (segments.some((s) => s === "")) {
		throw invalid(`Pointer \`${path}\` contains adjacent "/".`);
	}
	if (/~(?![01])/.test(path))
		throw invalid(`Pointer \`${path}\` contains "~" not part of a recognized escape sequence.`);
	const names = segments.map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~").trim());
	if (names[0] === "locations") return "locations";
	if (names.length !== 1) throw invalid(`Invalid JSON pointer for this resource: '${path}'`);
	return names[0];
}

/**
 * `PATCH /v2/images/{id}` bodies (glance-v2-contract §4.1, §4.2): the media type, then each
 * operation's syntax, its path (read-only and reserved refused) and its value against the
 * image schema — all before the image is looked up.
 */
export async function readPatch(
	request: Request,
	formats: FormatPolicy,
): Promise<PatchOperation[]> {
	const type = mediaType(request.headers.get("content-type"));
	if (type !== PATCH_V21 && type !== PATCH_V20) {
		throw new ApiError(415, `Unsupported Content-Type: ${type || "none"}`, {
			headers: { "Accept-Patch": ACCEPT_PATCH },
		});
	}
	const v20 = type === PATCH_V20;
	const body = await readOptionalJsonBody(request, MAX_JSON_BODY);
	if (body === undefined) throw invalid("Body expected in request.");
	if (!Array.isArray(body))
		throw invalid("Request body must be a JSON array of operation objects.");
	return body.map((raw) => {
		if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
			throw invalid("Operations must be JSON objects.");
		}
		const entry = raw as Record<string, unknown>;
		let op: Op;
		let path: unknown;
		if (v20) {
			const present = OPS.filter((o) => o in entry);
			if (present.length !== 1) {
				throw invalid(
					`Operation objects must contain exactly one member named "add", "remove", or "replace".`,
				);
			}
			op = present[0];
			path = entry[op];
		} else {
			if (!("op" in entry))
				throw invalid('Operation objects must contain a string member named "op".');
			if (!OPS.includes(entry.op as Op)) {
				throw invalid(
					`Invalid operation: \`${String(entry.op)}\`. It must be one of the following: add, remove, replace.`,
				);
			}
			op = entry.op as Op;
			if (!("path" in entry)) throw invalid("Unable to find 'path' element in operation object.");
			path = entry.path;
		}
		const name = pointerName(path);
		checkPatchable(name);
		if (op === "remove") return { op, name, strictAdd: v20 };
		if (!("value" in entry)) throw invalid(`Operation "${op}" requires a member named "value".`);
		const value = entry.value;
		const problem = schemaProblem(value, attributeSchema(name, formats), `/${name}`);
		// Nova's snapshot adds kernel_id/ramdisk_id as null; the schema allows it for those.
		if (problem) throw schemaViolation(problem);
		checkMinValue(name, value);
		return { op, name, value, strictAdd: v20 };
	});
}
