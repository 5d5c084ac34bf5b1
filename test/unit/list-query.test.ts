import { toApiError } from "../../src/http/errors";
import { parseListQuery } from "../../src/http/list-query";

const parse = (query: string) => parseListQuery(new URLSearchParams(query));

/** The 400 the parser throws for `query`: its status, message and the field it names. */
function refusal(query: string): { status: unknown; message: unknown; field: unknown } {
	try {
		parse(query);
	} catch (err) {
		// As a client sees it: the core's refusal rendered for a query parameter.
		const { status, message, field } = toApiError(err);
		return { status, message, field };
	}
	throw new Error(`${query} was accepted`);
}

const SORT_KEYS = "name, status, container_format, disk_format, size, id, created_at, updated_at";

describe("parseListQuery", () => {
	it("applies Glance's defaults to an empty query", () => {
		expect(parse("")).toEqual({
			filters: {
				name: undefined,
				status: undefined,
				container_format: undefined,
				disk_format: undefined,
				min_ram: undefined,
				min_disk: undefined,
				size_min: undefined,
				size_max: undefined,
				protected: undefined,
				changesSince: undefined,
				properties: new Map(),
			},
			isPublic: undefined,
			limit: 25,
			marker: null,
			sortKey: "created_at",
			sortDir: "desc",
		});
	});

	it("passes the string filters through as sent, the empty string included", () => {
		const { filters } = parse("name=cirros 0.6&status=active&container_format=bare&disk_format=");
		expect(filters).toMatchObject({
			name: "cirros 0.6",
			status: "active",
			container_format: "bare",
			disk_format: "",
		});
	});

	describe.each(["min_ram", "min_disk", "size_min", "size_max"] as const)("%s", (param) => {
		it.each([
			["0", 0],
			["64", 64],
			["+5", 5],
			[" 7 ", 7],
			["-0", 0],
			["007", 7],
			["99999999999999999999", Number.MAX_SAFE_INTEGER],
		])("reads %j as %d", (value, expected) => {
			const query = new URLSearchParams({ [param]: value });
			expect(parseListQuery(query).filters[param]).toBe(expected);
		});

		it.each(["-1", "1.5", "abc", "", "1e3", "0x10"])("refuses %j", (value) => {
			expect(refusal(new URLSearchParams({ [param]: value }).toString())).toEqual({
				status: 400,
				message: `Bad value passed to filter ${param} got ${value}`,
				field: param,
			});
		});
	});

	it.each([
		["true", true],
		["TRUE", true],
		["1", true],
		["False", false],
		["0", false],
		["none", null],
		["NONE", null],
	])("reads is_public=%s as %s", (value, expected) => {
		expect(parse(`is_public=${value}`).isPublic).toBe(expected);
	});

	it.each(["maybe", "", "yes", "2"])("refuses is_public=%s", (value) => {
		expect(refusal(`is_public=${value}`)).toEqual({
			status: 400,
			message: `Bad value passed to filter is_public got ${value}`,
			field: "is_public",
		});
	});

	it.each([
		["True", true],
		["1", true],
		["false", false],
		["0", false],
	])("reads protected=%s as %s", (value, expected) => {
		expect(parse(`protected=${value}`).filters.protected).toBe(expected);
	});

	it("refuses protected that is not a boolean, and none, which the registry refuses", () => {
		expect(refusal("protected=maybe")).toEqual({
			status: 400,
			message: "Bad value passed to filter protected got maybe",
			field: "protected",
		});
		expect(refusal("protected=")).toEqual({
			status: 400,
			message: "Bad value passed to filter protected got ",
			field: "protected",
		});
		expect(refusal("protected=None")).toEqual({
			status: 400,
			message: "protected must be True, or False",
			field: "protected",
		});
	});

	it.each([
		["2012-01-01", "2012-01-01T00:00:00.000000"],
		["20120101", "2012-01-01T00:00:00.000000"],
		["2012-01-01T10:00:00Z", "2012-01-01T10:00:00.000000"],
		["2012-01-01T10:00:00.5+02:00", "2012-01-01T08:00:00.500000"],
	])("reads changes-since=%s as the Glance timestamp %s", (value, expected) => {
		const query = new URLSearchParams({ "changes-since": value });
		expect(parseListQuery(query).filters.changesSince).toBe(expected);
	});

	it.each(["", "yesterday", "2012-02-30", "1899-12-31", "2012-01-01T25:00:00"])(
		"refuses changes-since=%j",
		(value) => {
			expect(refusal(new URLSearchParams({ "changes-since": value }).toString())).toEqual({
				status: 400,
				message: "Unrecognized changes-since value",
				field: "changes-since",
			});
		},
	);

	it.each([
		["0", 0],
		["1", 1],
		["+2", 2],
		[" 3 ", 3],
		["1000", 1000],
		["1001", 1000],
		["5000", 1000],
		["-0", 0],
	])("reads limit=%j as %d (capped at 1000)", (value, expected) => {
		expect(parseListQuery(new URLSearchParams({ limit: value })).limit).toBe(expected);
	});

	it.each([
		["abc", "limit param must be an integer"],
		["1.5", "limit param must be an integer"],
		["", "limit param must be an integer"],
		["-1", "limit param must be positive"],
	])("refuses limit=%j: %s", (value, message) => {
		expect(refusal(new URLSearchParams({ limit: value }).toString())).toEqual({
			status: 400,
			message,
			field: "limit",
		});
	});

	it("reads a marker in any case, with or without dashes, as the canonical id", () => {
		const id = "0f0e0d0c-0b0a-4908-8706-050403020100";
		expect(parse(`marker=${id}`).marker).toBe(id);
		expect(parse(`marker=${id.toUpperCase()}`).marker).toBe(id);
		expect(parse(`marker=${id.replaceAll("-", "")}`).marker).toBe(id);
	});

	it("treats an empty marker as none, and refuses one that is not an id", () => {
		expect(parse("marker=").marker).toBeNull();
		for (const marker of ["not-a-uuid", "0f0e0d0c-0b0a-4908-8706-05040302010", "x".repeat(32)]) {
			expect(refusal(`marker=${marker}`)).toEqual({
				status: 400,
				message: "Invalid marker format",
				field: "marker",
			});
		}
	});

	it.each([
		"name",
		"status",
		"container_format",
		"disk_format",
		"size",
		"id",
		"created_at",
		"updated_at",
	])("sorts by %s", (key) => {
		expect(parse(`sort_key=${key}`).sortKey).toBe(key);
	});

	it.each(["owner", "", "NAME", "min_ram"])("refuses sort_key=%j", (key) => {
		expect(refusal(`sort_key=${key}`)).toEqual({
			status: 400,
			message: `Unsupported sort_key. Acceptable values: ${SORT_KEYS}`,
			field: "sort_key",
		});
	});

	it("sorts either way, and refuses any other direction (case matters, as in Glance)", () => {
		expect(parse("sort_dir=asc").sortDir).toBe("asc");
		expect(parse("sort_dir=desc").sortDir).toBe("desc");
		for (const dir of ["up", "", "ASC"]) {
			expect(refusal(`sort_dir=${dir}`)).toEqual({
				status: 400,
				message: "Unsupported sort_dir. Acceptable values: asc, desc",
				field: "sort_dir",
			});
		}
	});

	it("collects property-<key> filters verbatim, the last of a repeated one winning", () => {
		const { filters } = parse(
			"property-os_distro=cirros&property-hw%20x=a%20b&property-os_distro=ubuntu&property-=empty",
		);
		expect(filters.properties).toEqual(
			new Map([
				["os_distro", "ubuntu"],
				["hw x", "a b"],
				["", "empty"],
			]),
		);
	});

	it("ignores unknown parameters and takes the last value of a repeated one", () => {
		const query = parse("limit=5&limit=7&owner=tenant-b&Limit=oops&properties=x");
		expect(query.limit).toBe(7);
		expect(refusal("sort_dir=asc&sort_dir=up")).toMatchObject({ field: "sort_dir" });
		expect(parse("sort_dir=up&sort_dir=asc").sortDir).toBe("asc");
	});

	it("reports the first bad parameter in the schema's order, whatever the query's order", () => {
		expect(refusal("sort_dir=up&limit=x&min_ram=-1")).toMatchObject({ field: "min_ram" });
		expect(refusal("sort_dir=up&limit=x")).toMatchObject({ field: "limit" });
		expect(refusal("sort_key=x&marker=bad")).toMatchObject({ field: "marker" });
	});
});
