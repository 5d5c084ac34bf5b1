import { metaHeaders } from "../helpers/fixtures";
import { api, errorOf } from "../helpers/http";

// Glance parsed min_disk / min_ram with Python's unbounded int(), and its database refused
// everything past 32 bits: out of range, never "cannot convert", however long the number.
describe("x-image-meta-min_disk / min_ram past 32 bits", () => {
	it.each([
		["min_disk", "2147483648"],
		["min_ram", "9007199254740993"],
		["min_disk", "9223372036854775807"],
		["min_ram", "9223372036854775808"],
		["min_disk", "18446744073709551617"],
		["min_ram", "99999999999999999999999999999"],
	])("answers %s %s with the out-of-range message", async (field, value) => {
		const res = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ [`x-image-meta-${field}`]: value }),
		});
		expect(res.status).toBe(400);
		expect(await errorOf(res)).toMatchObject({
			message: `'${field}' value out of range`,
			field: `x-image-meta-${field}`,
		});
	});

	it("takes 2147483647 and refuses a non-integer as before", async () => {
		const ok = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "x-image-meta-min_ram": "2147483647" }),
		});
		expect(ok.status).toBe(202);
		const bad = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "x-image-meta-min_ram": "1e10" }),
		});
		expect((await errorOf(bad)).message).toBe("Cannot convert image min_ram '1e10' to an integer.");
	});

	it("answers the same on an update", async () => {
		const created = await api("/v1/images", { method: "POST", headers: metaHeaders() });
		const { image } = (await created.json()) as { image: { id: string } };
		const res = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-min_disk": "9223372036854775808" },
		});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe("'min_disk' value out of range");
	});
});
