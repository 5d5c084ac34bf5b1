import type { Image } from "../../src/domain/image";
import { ApiError } from "../../src/http/errors";
import { imageMetaHeaders, parseImageMetaHeaders } from "../../src/http/image-headers";

function parse(headers: Record<string, string>) {
	return parseImageMetaHeaders(new Headers(headers));
}

function errorFrom(fn: () => unknown): ApiError {
	try {
		fn();
	} catch (err) {
		if (err instanceof ApiError) return err;
		throw err;
	}
	throw new Error("expected an ApiError");
}

describe("parseImageMetaHeaders", () => {
	it("includes only the fields that were sent, empty meaning null", () => {
		expect(parse({ "x-image-meta-name": "n", "x-image-meta-checksum": "" })).toEqual({
			name: "n",
			checksum: null,
		});
		expect(parse({ "content-type": "application/octet-stream" })).toEqual({});
	});

	it("parses integers the way Python's int() does and refuses the rest", () => {
		expect(parse({ "x-image-meta-size": " +42 " })).toEqual({ size: 42 });
		expect(parse({ "x-image-meta-virtual_size": "None" })).toEqual({ virtual_size: null });
		expect(errorFrom(() => parse({ "x-image-meta-size": "None" })).message).toBe(
			"Cannot convert image size 'None' to an integer.",
		);
		expect(errorFrom(() => parse({ "x-image-meta-min_ram": "0x10" })).status).toBe(400);
		expect(errorFrom(() => parse({ "x-image-meta-size": "99999999999999999999" })).status).toBe(
			400,
		);
	});

	it("treats is_public=None as not given and other booleans leniently", () => {
		expect(parse({ "x-image-meta-is_public": "None" })).toEqual({});
		expect(parse({ "x-image-meta-is_public": "Yes" })).toEqual({ is_public: true });
		expect(parse({ "x-image-meta-protected": "nope" })).toEqual({ protected: false });
	});

	it("turns property dashes into underscores and percent-decodes names and values", () => {
		expect(
			parse({
				"x-image-meta-property-hw-disk-bus": "virtio",
				"x-image-meta-property-a%20b": "c%2Fd",
			}),
		).toEqual({ properties: { hw_disk_bus: "virtio", "a b": "c/d" } });
		expect(parse({ "x-image-meta-property-gone": "" })).toEqual({ properties: { gone: null } });
	});

	it("names the offending header in every error", () => {
		const err = errorFrom(() => parse({ "x-image-meta-diskformat": "raw" }));
		expect(err).toMatchObject({ status: 400, field: "x-image-meta-diskformat" });
		expect(err.message).toBe("Bad header: x-image-meta-diskformat");
		expect(errorFrom(() => parse({ "x-image-meta-property-": "x" })).status).toBe(400);
	});

	it("accepts a client echoing back the multihash fields HEAD reports", () => {
		expect(parse({ "x-image-meta-os_hash_algo": "sha512" })).toEqual({ os_hash_algo: "sha512" });
	});
});

describe("imageMetaHeaders", () => {
	const image: Image = {
		id: "6f1c1f3e-1b7a-4f3e-9b1e-0c9d2b7c5a11",
		name: "n",
		status: "active",
		status_reason: null,
		size: 10,
		virtual_size: null,
		checksum: "0cc175b9c0f1b6a831c399e269772661",
		os_hash_algo: "sha512",
		os_hash_value: "ab",
		disk_format: "raw",
		container_format: "bare",
		min_disk: 0,
		min_ram: 0,
		is_public: true,
		owner: null,
		protected: false,
		created_at: "2026-01-01T00:00:00.000000",
		updated_at: "2026-01-01T00:00:00.000000",
		deleted_at: null,
		deleted: false,
		properties: { "x(y)": "1" },
	};

	it("writes Python-style booleans, skips nulls and adds the ETag", () => {
		const h = imageMetaHeaders(image);
		expect(h.get("x-image-meta-is_public")).toBe("True");
		expect(h.get("x-image-meta-deleted")).toBe("False");
		expect(h.has("x-image-meta-owner")).toBe(false);
		expect(h.has("x-image-meta-virtual_size")).toBe(false);
		expect(h.get("etag")).toBe(image.checksum);
		expect(h.get("x-image-meta-os_hash_algo")).toBe("sha512");
		expect(h.get("x-image-meta-property-x%28y%29")).toBe("1");
	});

	it("round-trips through the parser", () => {
		const parsed = parse(Object.fromEntries(imageMetaHeaders(image)));
		expect(parsed).toMatchObject({
			name: "n",
			size: 10,
			is_public: true,
			properties: { "x(y)": "1" },
		});
	});
});
