import { api } from "../helpers/http";

describe("versions", () => {
	it("GET /versions answers 200 with the v1 entries", async () => {
		const res = await api("/versions", { as: "anonymous" });
		expect(res.status).toBe(200);
		const body = (await res.json()) as { versions: { id: string; links: { href: string }[] }[] };
		expect(body.versions.map((v) => v.id)).toEqual(["v1.1", "v1.0"]);
		expect(body.versions[0].links[0].href).toBe("https://glance.test/v1/");
		expect(res.headers.get("x-openstack-request-id")).toMatch(/^req-[0-9a-f-]{36}$/);
	});

	it("GET / answers 300 Multiple Choices with the same document", async () => {
		const res = await api("/", { as: "anonymous" });
		expect(res.status).toBe(300);
		expect(((await res.json()) as { versions: unknown[] }).versions).toHaveLength(2);
	});
});
