import { MAX_JSON_BODY_BYTES } from "../domain/glance-rules";
import { invalid } from "../domain/refusal";
import { CompleteSessionSchema } from "../schemas/upload-session";
import type { ImageData } from "../services/image-upload";
import { mediaType, readOptionalJsonBody } from "./json-body";
import { parseOrThrow } from "./validate";

/** The image bytes a request carries, as facts for a service: the body and its declared length. */
export function imageDataOf(request: Request): ImageData | null {
	if (!request.body) return null;
	const header = request.headers.get("content-length");
	return { body: request.body, contentLength: header === null ? null : Number(header) };
}

/**
 * An upload-session part as both APIs' part routes read it: the part number from the path and
 * the bytes, which must be sent as application/octet-stream.
 */
export function sessionPartOf(
	request: Request,
	partParam: string | undefined,
): { partNumber: number; data: ImageData | null } {
	if (mediaType(request.headers.get("content-type") ?? undefined) !== "application/octet-stream") {
		throw invalid("Content-Type must be application/octet-stream", "Content-Type");
	}
	return { partNumber: Number(partParam), data: imageDataOf(request) };
}

/** The digests a session's completion may declare (its optional JSON body), for both APIs. */
export async function declaredAtCompletion(
	request: Request,
): Promise<{ checksum?: string; os_hash_value?: string }> {
	const body = await readOptionalJsonBody(request, MAX_JSON_BODY_BYTES);
	return body === undefined ? {} : parseOrThrow(CompleteSessionSchema, body);
}
