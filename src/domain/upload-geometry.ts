import { SESSION_MESSAGES } from "./glance-rules";
import { tooLarge } from "./refusal";

/** R2's multipart limits (all parts but the last the same size). */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;

const MIB = 1024 * 1024;

export interface PartPolicy {
	/** The part size an operator prefers. */
	sessionPartBytes: number;
	/** Largest request body; 0 means unlimited. Parts are request bodies. */
	maxRequestBytes: number;
}

/**
 * The part size for an image: the configured size, grown so the image fits in 10 000 parts,
 * never under R2's 5 MiB minimum and never over the request limit.
 */
export function choosePartSize(size: number, policy: PartPolicy): number {
	const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MIB) * MIB;
	const partSize = Math.max(MIN_PART_BYTES, policy.sessionPartBytes, needed);
	if (policy.maxRequestBytes > 0 && partSize > policy.maxRequestBytes) {
		const largest = Math.floor(policy.maxRequestBytes / MIB) * MIB;
		if (largest >= Math.max(MIN_PART_BYTES, needed)) return largest;
		throw tooLarge(SESSION_MESSAGES.tooLargeForLimit(size, largest * MAX_PARTS), "size");
	}
	return partSize;
}

export interface PartGeometry {
	size: number;
	part_size: number;
	part_count: number;
}

export function partCount(size: number, partSize: number): number {
	return Math.ceil(size / partSize);
}

/** Part `n` (1-based) is a whole part, except the last, which holds the remainder. */
export function expectedPartSize(session: PartGeometry, n: number): number {
	return n < session.part_count
		? session.part_size
		: session.size - (session.part_count - 1) * session.part_size;
}

/** The part numbers of `geometry` not in `stored`, in order. */
export function missingParts(geometry: PartGeometry, stored: Iterable<number>): number[] {
	const have = new Set(stored);
	const missing: number[] = [];
	for (let n = 1; n <= geometry.part_count; n++) if (!have.has(n)) missing.push(n);
	return missing;
}
