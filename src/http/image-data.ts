import { invalid } from "../domain/refusal";
import type { ImageData } from "../services/image-upload";
import { mediaType } from "./json-body";

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
