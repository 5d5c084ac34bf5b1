import { metaHeaders } from "../helpers/fixtures";
import { api } from "../helpers/http";

// Glance sent header values as they were; glanceclient shows what it receives without decoding.
describe("x-image-meta-* response values", () => {
	async function head(headers: Record<string, string>) {
		const res = await api("/v1/images", { method: "POST", headers: metaHeaders(headers) });
		const { image } = (await res.json()) as { image: { id: string } };
		return (await api(`/v1/images/${image.id}`, { method: "HEAD" })).headers;
	}

	it("sends a printable ASCII value with a % as it is", async () => {
		// glanceclient percent-encodes what it sends: `100%` arrives as `100%25`.
		const h = await head({ "x-image-meta-name": "100%25", "x-image-meta-property-ratio": "5%25" });
		expect(h.get("x-image-meta-name")).toBe("100%");
		expect(h.get("x-image-meta-property-ratio")).toBe("5%");
	});

	it("percent-encodes a value with other characters as a whole, % included", async () => {
		const h = await head({ "x-image-meta-property-mix": "%C3%A9%2050%25" });
		expect(h.get("x-image-meta-property-mix")).toBe("%C3%A9 50%25");
		expect(decodeURIComponent(h.get("x-image-meta-property-mix") ?? "")).toBe("é 50%");
	});
});
