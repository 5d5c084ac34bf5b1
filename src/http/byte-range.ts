import type { ByteRange } from "../storage/blob-store";

/** A parsed Range header: the bytes to send, or "unsatisfiable" (416). */
export type RangeRequest = ByteRange | "unsatisfiable" | null;

const SINGLE_RANGE = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/i;

/**
 * Reads a single `bytes=` range against an object of `size` bytes (RFC 9110 §14.1.2).
 * Returns null when the whole object should be sent: no header, a syntax we do not serve
 * (multiple ranges, other units — ignoring Range is allowed), or an If-Range that no longer
 * matches the ETag.
 */
export function parseRange(
	header: string | null,
	size: number,
	ifRange: string | null,
	etag: string | null,
): RangeRequest {
	if (!header) return null;
	if (ifRange !== null && ifRange.replaceAll('"', "") !== etag) return null;
	const m = SINGLE_RANGE.exec(header);
	if (!m) return null;
	const [, first, last] = m;
	if (first === "" && last === "") return null;
	if (first === "") {
		const suffix = Number(last);
		if (suffix === 0 || size === 0) return "unsatisfiable";
		const length = Math.min(suffix, size);
		return { offset: size - length, length };
	}
	const offset = Number(first);
	if (offset >= size) return "unsatisfiable";
	const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
	if (end < offset) return null;
	return { offset, length: end - offset + 1 };
}
