import { api } from "../helpers/http";

/** Glance 25.1's default v2 list, CURRENT first, then v1 as Glance 16 listed it. */
const VERSION_IDS = [
	"v2.15",
	"v2.9",
	"v2.7",
	"v2.6",
	"v2.5",
	"v2.4",
	"v2.3",
	"v2.2",
	"v2.1",
	"v2.0",
	"v1.1",
	"v1.0",
];

describe("versions", () => {
	it("GET /versions answers 200 with the v2 entries, then the v1 ones", async () => {
		const res = await api("/versions", { as: "anonymous" });
		expect(res.status).toBe(200);
		const body = (await res.json()) as { versions: { id: string; links: { href: string }[] }[] };
		expect(body.versions.map((v) => v.id)).toEqual(VERSION_IDS);
		expect(body.versions[0].links[0].href).toBe("https://glance.test/v2/");
		expect(body.versions.at(-1)?.links[0].href).toBe("https://glance.test/v1/");
		expect(res.headers.get("x-openstack-request-id")).toMatch(/^req-[0-9a-f-]{36}$/);
	});

	it("GET / answers 300 Multiple Choices with the same document", async () => {
		const res = await api("/", { as: "anonymous" });
		expect(res.status).toBe(300);
		expect(((await res.json()) as { versions: unknown[] }).versions).toHaveLength(
			VERSION_IDS.length,
		);
	});
});

describe("version negotiation (Glance's version_negotiation middleware)", () => {
	it.each([
		"/images",
		"/images/detail",
		"/v1.a/images",
		"/va.1/images",
		"/v10",
		"/v9/images",
		"/v1.2/images",
		"/v2.8/images",
		"/v2.16/images",
	])("answers %s with 300 and the versions document", async (path) => {
		const res = await api(path);
		expect(res.status).toBe(300);
		const body = (await res.json()) as { versions: { id: string }[] };
		expect(body.versions.map((v) => v.id)).toEqual(VERSION_IDS);
	});

	it("answers 300 whatever the method", async () => {
		for (const method of ["POST", "PUT", "DELETE"]) {
			expect((await api("/images", { method })).status).toBe(300);
		}
	});

	it.each([
		"application/vnd.openstack.images-v1",
		"application/vnd.openstack.images-v1.0",
		"application/vnd.openstack.images-v1.1",
	])("routes GET /images with Accept: %s to the v1 list", async (accept) => {
		const res = await api("/images", { headers: { accept } });
		expect(res.status).toBe(200);
		expect(await res.json()).toHaveProperty("images");
	});

	it.each(["application/vnd.openstack.images-v2", "application/vnd.openstack.images-v2.3"])(
		"routes GET /images with Accept: %s to the v2 list",
		async (accept) => {
			const res = await api("/images", { headers: { accept } });
			expect(res.status).toBe(200);
			expect(await res.json()).toHaveProperty("schema", "/v2/schemas/images");
		},
	);

	it("routes the rest of an unversioned path too, token required", async () => {
		const accept = "application/vnd.openstack.images-v1";
		expect((await api("/images/detail", { headers: { accept } })).status).toBe(200);
		expect((await api("/images/detail", { headers: { accept }, as: "anonymous" })).status).toBe(
			401,
		);
	});

	it.each([
		"application/vnd.openstack.images-v10",
		"application/vnd.openstack.images-v2.8",
		"application/vnd.openstack.compute-v1",
		"application/json",
	])("answers GET /images with Accept: %s with 300", async (accept) => {
		expect((await api("/images", { headers: { accept } })).status).toBe(300);
	});

	it("lets a version prefix win over the Accept header", async () => {
		const accept = "application/vnd.openstack.compute-v1";
		expect((await api("/v1/images", { headers: { accept } })).status).toBe(200);
	});

	it("answers GET /v1/versions with 404, as the v1 router had no such route", async () => {
		expect((await api("/v1/versions")).status).toBe(404);
	});

	it("leaves the service's own routes alone", async () => {
		expect((await api("/healthz", { as: "anonymous" })).status).not.toBe(300);
		expect((await api("/openapi.json", { as: "anonymous" })).status).toBe(200);
	});
});

describe("GET /v1 for keystoneauth's version discovery", () => {
	it.each([
		["/v1", "v1.1"],
		["/v1/", "v1.1"],
		["/v1.1", "v1.1"],
		["/v1.0", "v1.0"],
	])("answers %s without a token with the %s version document", async (path, id) => {
		const res = await api(path, { as: "anonymous", headers: { accept: "application/json" } });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			version: {
				id,
				// v2.15 is CURRENT now; v1 is listed as Glance 16 listed it next to v2.
				status: "DEPRECATED",
				links: [{ rel: "self", href: "https://glance.test/v1/" }],
			},
		});
	});

	it.each([
		["/v2", "v2.15"],
		["/v2.3", "v2.15"],
	])("answers %s without a token with the %s version document", async (path, id) => {
		const res = await api(path, { as: "anonymous", headers: { accept: "application/json" } });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			version: { id, status: "CURRENT", links: [{ rel: "self", href: "https://glance.test/v2/" }] },
		});
	});

	it("answers GET /v2 with a token with 404, as Glance's v2 router has no root", async () => {
		expect((await api("/v2")).status).toBe(404);
	});

	it("stays the brief image list with a token", async () => {
		const res = await api("/v1", { headers: { accept: "application/json" } });
		expect(res.status).toBe(200);
		expect(await res.json()).toHaveProperty("images");
	});

	it("still refuses a bad token", async () => {
		const res = await api("/v1", { as: "anonymous", headers: { "x-auth-token": "nope" } });
		expect(res.status).toBe(401);
	});

	it("needs a token for everything else under /v1", async () => {
		expect((await api("/v1/images", { as: "anonymous" })).status).toBe(401);
	});
});
