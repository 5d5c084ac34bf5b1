import { invalid, tooLarge } from "../domain/refusal";

const EMPTY_BODY = "The request body is empty: expected a JSON object.";

/** A JSON request body that must be there. */
export async function readJsonBody(request: Request, limit: number): Promise<unknown> {
	const body = await readOptionalJsonBody(request, limit);
	if (body === undefined) throw invalid(EMPTY_BODY);
	return body;
}

/**
 * Reads a small JSON request body, refusing (413) anything over `limit` bytes without buffering
 * more than that, whether or not the client sent Content-Length. An empty body is undefined.
 */
export async function readOptionalJsonBody(request: Request, limit: number): Promise<unknown> {
	const refuse = () => tooLarge(`The JSON request body is limited to ${limit} bytes.`);
	const declared = Number(request.headers.get("content-length") ?? Number.NaN);
	if (declared > limit) throw refuse();
	if (!request.body) return undefined;
	const chunks: Uint8Array[] = [];
	let total = 0;
	const reader = request.body.getReader();
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		total += value.byteLength;
		if (total > limit) {
			await reader.cancel();
			throw refuse();
		}
		chunks.push(value);
	}
	if (total === 0) return undefined;
	const bytes = new Uint8Array(total);
	let offset = 0;
	for (const chunk of chunks) {
		bytes.set(chunk, offset);
		offset += chunk.byteLength;
	}
	try {
		return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
	} catch {
		throw invalid("Malformed JSON in request body.");
	}
}

/** The media type of a Content-Type header, lower-cased and without parameters. */
export function mediaType(contentType: string | null | undefined): string {
	return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** Whether a request carries a body: Content-Length > 0 or any Transfer-Encoding (as Glance decided). */
export function hasBody(request: Request): boolean {
	const length = request.headers.get("content-length");
	if (length !== null) return Number(length) > 0;
	return request.headers.has("transfer-encoding") || request.body !== null;
}
