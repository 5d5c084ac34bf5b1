import { parseRange } from "../../src/http/byte-range";

const SIZE = 10_000;
const range = (header: string | null, size = SIZE) => parseRange(header, size, null, null);

describe("parseRange", () => {
	it("sends the whole object when there is no Range header", () => {
		expect(range(null)).toBeNull();
		expect(range("")).toBeNull();
	});

	it.each([
		["bytes=0-99", 0, 100],
		["bytes=0-0", 0, 1],
		["bytes=9999-9999", 9999, 1],
		["bytes=9990-", 9990, 10],
		["bytes=0-", 0, SIZE],
		["bytes=-25", 9975, 25],
		["bytes=-1", 9999, 1],
	])("reads %s as offset %d, length %d", (header, offset, length) => {
		expect(range(header)).toEqual({ offset, length });
	});

	it("clamps a last byte past the end, and a suffix longer than the object, to the object", () => {
		expect(range("bytes=5000-20000")).toEqual({ offset: 5000, length: 5000 });
		expect(range("bytes=0-9999")).toEqual({ offset: 0, length: SIZE });
		expect(range("bytes=-20000")).toEqual({ offset: 0, length: SIZE });
	});

	it("takes the unit in any case and blanks around the numbers", () => {
		expect(range("BYTES=1-2")).toEqual({ offset: 1, length: 2 });
		expect(range("Bytes= 1 - 2 ")).toEqual({ offset: 1, length: 2 });
	});

	it.each([
		["a first byte at the end", "bytes=10000-", SIZE],
		["a first byte past the end", "bytes=20000-30000", SIZE],
		["an empty suffix", "bytes=-0", SIZE],
		["a suffix of an empty object", "bytes=-5", 0],
		["any first byte of an empty object", "bytes=0-", 0],
	])("answers unsatisfiable (416) for %s", (_, header, size) => {
		expect(range(header, size)).toBe("unsatisfiable");
	});

	it.each([
		["several ranges", "bytes=0-9,20-29"],
		["another unit", "items=0-9"],
		["no numbers at all", "bytes=-"],
		["a last byte before the first", "bytes=5-2"],
		["not a number", "bytes=abc-"],
		["a negative first byte", "bytes=--5"],
		["no unit", "0-9"],
	])("ignores %s and sends the whole object", (_, header) => {
		expect(range(header)).toBeNull();
	});

	describe("with If-Range", () => {
		it("serves the range when If-Range names the current ETag, quoted or not", () => {
			expect(parseRange("bytes=0-9", SIZE, '"abc"', "abc")).toEqual({ offset: 0, length: 10 });
			expect(parseRange("bytes=0-9", SIZE, "abc", "abc")).toEqual({ offset: 0, length: 10 });
		});

		it("sends the whole object when If-Range no longer matches, or there is no ETag", () => {
			expect(parseRange("bytes=0-9", SIZE, '"not-the-etag"', "abc")).toBeNull();
			expect(parseRange("bytes=0-9", SIZE, '"abc"', null)).toBeNull();
			// A date is never an ETag: the object might have changed since, so no range.
			expect(parseRange("bytes=0-9", SIZE, "Wed, 21 Oct 2015 07:28:00 GMT", "abc")).toBeNull();
		});

		it("still answers unsatisfiable for a range past the end when If-Range matches", () => {
			expect(parseRange("bytes=10000-", SIZE, '"abc"', "abc")).toBe("unsatisfiable");
		});
	});
});
