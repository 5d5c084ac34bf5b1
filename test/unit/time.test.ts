import { glanceTimestamp } from "../../src/domain/image";
import { parseIsoTimestamp } from "../../src/domain/time";

describe("parseIsoTimestamp", () => {
	it.each([
		["2012-01-01", "2012-01-01T00:00:00.000Z"],
		["20120101", "2012-01-01T00:00:00.000Z"],
		["2012-01-01T10:20:30", "2012-01-01T10:20:30.000Z"],
		["2012-01-01T10:20:30.5Z", "2012-01-01T10:20:30.500Z"],
		["2012-01-01T10:20:30+02:00", "2012-01-01T08:20:30.000Z"],
		["2012-01-01T10:20:30-0130", "2012-01-01T11:50:30.000Z"],
		["2012-01-01 10:20:30.123456", "2012-01-01T10:20:30.123Z"],
	])("reads %s", (text, iso) => {
		expect(parseIsoTimestamp(text)?.toISOString()).toBe(iso);
	});

	it.each(["", "yesterday", "2012-13-01", "2012-02-30", "1899-12-31", "2012-01-01T25:00:00"])(
		"refuses %j",
		(text) => {
			expect(parseIsoTimestamp(text)).toBeNull();
		},
	);
});

describe("glanceTimestamp", () => {
	it("formats UTC with microseconds and no zone", () => {
		expect(glanceTimestamp(new Date("2026-03-04T05:06:07.089Z"))).toBe(
			"2026-03-04T05:06:07.089000",
		);
	});
});
