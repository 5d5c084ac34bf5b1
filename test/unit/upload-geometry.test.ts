import { Refusal } from "../../src/domain/refusal";
import {
	choosePartSize,
	expectedPartSize,
	MAX_PARTS,
	MIN_PART_BYTES,
	missingParts,
	partCount,
} from "../../src/domain/upload-geometry";

const MiB = 1024 * 1024;
const policy = (sessionPartBytes: number, maxRequestBytes = 0) => ({
	sessionPartBytes,
	maxRequestBytes,
});

describe("choosePartSize", () => {
	it("takes the configured size, never under R2's 5 MiB minimum", () => {
		expect(choosePartSize(100 * MiB, policy(8 * MiB))).toBe(8 * MiB);
		expect(choosePartSize(100 * MiB, policy(MiB))).toBe(MIN_PART_BYTES);
	});

	it("grows the part, in whole MiB, so the image fits in 10 000 parts", () => {
		const size = 200_000 * MiB + 1;
		const part = choosePartSize(size, policy(8 * MiB));
		expect(part % MiB).toBe(0);
		expect(partCount(size, part)).toBeLessThanOrEqual(MAX_PARTS);
		expect(partCount(size, part - MiB)).toBeGreaterThan(MAX_PARTS);
	});

	it("keeps parts under the request limit, and refuses an image too large for it", () => {
		expect(choosePartSize(100 * MiB, policy(64 * MiB, 20 * MiB + 7))).toBe(20 * MiB);
		let refusal: unknown;
		try {
			choosePartSize(100_000 * MiB, policy(8 * MiB, 6 * MiB));
		} catch (err) {
			refusal = err;
		}
		expect(refusal).toBeInstanceOf(Refusal);
		expect(refusal).toMatchObject({ kind: "too_large", field: "size" });
	});
});

describe("part geometry", () => {
	const session = { size: 11 * MiB + 5, part_size: 5 * MiB, part_count: 3 };

	it("gives every part the part size but the last, which holds the remainder", () => {
		expect(partCount(session.size, session.part_size)).toBe(3);
		expect(expectedPartSize(session, 1)).toBe(5 * MiB);
		expect(expectedPartSize(session, 2)).toBe(5 * MiB);
		expect(expectedPartSize(session, 3)).toBe(MiB + 5);
	});

	it("lists the parts still missing, in order", () => {
		expect(missingParts(session, [3, 1])).toEqual([2]);
		expect(missingParts(session, [1, 2, 3])).toEqual([]);
		expect(missingParts(session, [])).toEqual([1, 2, 3]);
	});
});
