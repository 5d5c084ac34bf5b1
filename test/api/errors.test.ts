import { REGISTRATION } from "../helpers/fixtures";
import { api, errorOf, postJson } from "../helpers/http";

describe("authentication", () => {
	it("answers 401 without a token, with WWW-Authenticate and the JSON error shape", async () => {
		const res = await postJson("/v1/images", REGISTRATION, { as: "anonymous" });
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toBeTruthy();
		expect(await errorOf(res)).toMatchObject({ code: 401, title: "Unauthorized" });
	});

	it("answers 401 for an unknown token and never echoes it", async () => {
		const res = await api("/v1/images", {
			method: "POST",
			as: "anonymous",
			headers: { "x-auth-token": "secret-guess-123" },
		});
		expect(res.status).toBe(401);
		expect(await res.text()).not.toContain("secret-guess-123");
	});

	it("needs no token for the versions document", async () => {
		expect((await api("/versions", { as: "anonymous" })).status).toBe(200);
	});
});

describe("routing", () => {
	it.each([
		["PATCH", "/v1/images", "GET, POST"],
		["DELETE", "/v1/images", "GET, POST"],
		["POST", `/v1/images/${crypto.randomUUID()}`, "GET, HEAD, PUT, DELETE"],
		["PATCH", `/v1/images/${crypto.randomUUID()}`, "GET, HEAD, PUT, DELETE"],
	])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
		const res = await api(path, { method });
		expect(res.status).toBe(405);
		expect(res.headers.get("allow")).toBe(allow);
		expect((await errorOf(res)).code).toBe(405);
	});

	it.each(["/v1/nothing", "/v1/images.json", "/v2/nothing", "/v1/images/x/y/z", "/versions/x"])(
		"answers %s with a JSON 404",
		async (path) => {
			const res = await api(path);
			expect(res.status).toBe(404);
			expect((await errorOf(res)).code).toBe(404);
			expect(res.headers.get("x-openstack-request-id")).toMatch(/^req-/);
		},
	);
});
