import {
	checkHeaderBudget,
	MAX_HEADER_LINE_BYTES,
	MAX_META_HEADER_BYTES,
	MAX_PROPERTIES_FOR_HEADERS,
	metaHeaderBytes,
	metaHeaderEntries,
} from "../../src/domain/header-budget";
import { Refusal } from "../../src/domain/refusal";

const IMAGE = { name: "cirros", owner: "tenant-a", disk_format: "raw", container_format: "bare" };

function withProperties(count: number) {
	const properties = Object.fromEntries(Array.from({ length: count }, (_, i) => [`p${i}`, "v"]));
	return { ...IMAGE, properties };
}

function refusal(fn: () => void): Refusal {
	try {
		fn();
	} catch (err) {
		if (err instanceof Refusal) return err;
		throw err;
	}
	throw new Error("expected a refusal");
}

const merge = (set: Record<string, string>, remove: string[] = []) => ({
	changes: {},
	properties: { purge: false, set, remove },
});

describe("checkHeaderBudget", () => {
	it("leaves room for glanceclient's 100 header lines", () => {
		// 20 core fields + the properties + 6 of ours + 13 for the edge + the blank line.
		expect(20 + MAX_PROPERTIES_FOR_HEADERS + 6 + 13 + 1).toBe(100);
		checkHeaderBudget(withProperties(MAX_PROPERTIES_FOR_HEADERS));
		const over = refusal(() => checkHeaderBudget(withProperties(MAX_PROPERTIES_FOR_HEADERS + 1)));
		expect(over.kind).toBe("too_large");
		expect(over.message).toContain(`at most ${MAX_PROPERTIES_FOR_HEADERS} properties`);
		const image = withProperties(MAX_PROPERTIES_FOR_HEADERS);
		expect(() => checkHeaderBudget(image, merge({ extra: "1" }))).toThrow(Refusal);
	});

	it("lets an image already over a limit be changed as long as it does not grow", () => {
		const image = withProperties(MAX_PROPERTIES_FOR_HEADERS + 5);
		checkHeaderBudget(image, merge({ p0: "w" }));
		checkHeaderBudget(image, merge({}, ["p1"]));
		expect(() => checkHeaderBudget(image, merge({ extra: "1" }))).toThrow(Refusal);
	});

	it("counts values and names as HEAD encodes them", () => {
		const value = "é".repeat(100);
		const image = { ...IMAGE, properties: { "hw x": value } };
		const entry = metaHeaderEntries({
			...image,
			id: "i",
			status: "queued",
			status_reason: null,
			size: null,
			virtual_size: null,
			checksum: null,
			os_hash_algo: null,
			os_hash_value: null,
			min_disk: 0,
			min_ram: 0,
			is_public: false,
			protected: false,
			created_at: "t",
			updated_at: "t",
			deleted_at: null,
			deleted: false,
		}).at(-1);
		expect(entry).toEqual(["x-image-meta-property-hw%20x", "%C3%A9".repeat(100)]);
		const plain = metaHeaderBytes({ ...IMAGE, properties: {} });
		expect(metaHeaderBytes(image)).toBe(plain + "x-image-meta-property-hw%20x: \r\n".length + 600);
	});

	it("refuses one byte over the total and over http.client's line limit", () => {
		const fill = (n: number) => ({
			...IMAGE,
			properties: { a: "a".repeat(60_000), b: "b".repeat(n) },
		});
		const room = MAX_META_HEADER_BYTES - metaHeaderBytes(fill(0));
		checkHeaderBudget(fill(room));
		expect(refusal(() => checkHeaderBudget(fill(room + 1))).message).toContain(
			`limited to ${MAX_META_HEADER_BYTES} bytes`,
		);
		const line = (n: number) => ({ ...IMAGE, properties: { k: "v".repeat(n) } });
		const longest = MAX_HEADER_LINE_BYTES - "x-image-meta-property-k: \r\n".length;
		checkHeaderBudget(line(longest));
		const tooLong = refusal(() => checkHeaderBudget(line(longest + 1)));
		expect(tooLong.field).toBe("properties.k");
	});
});
