import { readOptionalJsonBody as readJson } from "../json-body";

/** JSON bodies of v2 requests (create, patch, members) are small. */
export const MAX_JSON_BODY = 64 * 1024;

/**
 * Whether a request has a body as Glance decides it: Content-Length > 0, or a body-carrying
 * method with a Transfer-Encoding.
 */
export function hasBody(request: Request): boolean {
	const length = request.headers.get("content-length");
	if (length !== null) return Number(length) > 0;
	return (
		["POST", "PUT", "PATCH"].includes(request.method) && request.headers.has("transfer-encoding")
	);
}

export const readOptionalJsonBody = readJson;
