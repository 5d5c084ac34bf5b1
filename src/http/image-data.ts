import type { ImageData } from "../services/image-upload";

/** The image bytes a request carries, as facts for a service: the body and its declared length. */
export function imageDataOf(request: Request): ImageData | null {
	if (!request.body) return null;
	const header = request.headers.get("content-length");
	return { body: request.body, contentLength: header === null ? null : Number(header) };
}
