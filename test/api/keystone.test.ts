import { env } from "cloudflare:workers";
import { appWith } from "../helpers/app";
import { REGISTRATION } from "../helpers/fixtures";
import { api, errorOf, postJson } from "../helpers/http";

async function keystoneValidations(): Promise<number> {
	const res = await env.KEYSTONE.fetch("https://keystone.test:5000/calls");
	return ((await res.json()) as { validations: number }).validations;
}

function withToken(token: string, init: RequestInit = {}) {
	return api("/v1/images", {
		as: "anonymous",
		...init,
		headers: { "x-auth-token": token, "content-type": "application/json" },
	} as never);
}

describe("Keystone tokens", () => {
	it("maps a Keystone token's project to the tenant and caches the validation", async () => {
		const before = await keystoneValidations();
		const res = await withToken("ks-member-token", {
			method: "POST",
			body: JSON.stringify(REGISTRATION),
		});
		expect(res.status).toBe(202);
		const { image } = (await res.json()) as { image: { id: string; owner: string } };
		expect(image.owner).toBe("ks-project");
		expect(await keystoneValidations()).toBe(before + 1);

		// A hot token costs no further Keystone round trip.
		for (let i = 0; i < 3; i++) {
			const head = await api(`/v1/images/${image.id}`, {
				method: "HEAD",
				as: "anonymous",
				headers: { "x-auth-token": "ks-member-token" },
			});
			expect(head.status).toBe(200);
		}
		expect(await keystoneValidations()).toBe(before + 1);
	});

	it("makes a caller with the admin role (any case) an administrator", async () => {
		const res = await withToken("ks-admin-token", {
			method: "POST",
			body: JSON.stringify({ ...REGISTRATION, is_public: true }),
		});
		expect(res.status).toBe(202);
	});

	it.each(["ks-unknown-token", "ks-expired-token"])("answers 401 for %s", async (token) => {
		const res = await withToken(token, { method: "POST", body: JSON.stringify(REGISTRATION) });
		expect(res.status).toBe(401);
		expect(res.headers.get("www-authenticate")).toBeTruthy();
		expect(await res.text()).not.toContain(token);
	});

	it("answers 503, never a pass, when Keystone fails or refuses the service token", async () => {
		const broken = await withToken("ks-broken-token", {
			method: "POST",
			body: JSON.stringify(REGISTRATION),
		});
		expect(broken.status).toBe(503);
		expect((await errorOf(broken)).message).toContain("Keystone");

		const badService = await appWith({ vars: { KEYSTONE_SERVICE_TOKEN: "wrong" } }).api(
			"/v1/images",
			{
				method: "POST",
				as: "anonymous",
				headers: { "x-auth-token": "ks-member-token-2", "content-type": "application/json" },
				body: JSON.stringify(REGISTRATION),
			},
		);
		expect(badService.status).toBe(503);

		const keystoneDown = {
			fetch: () => Promise.reject(new Error("connect ECONNREFUSED")),
		} as unknown as Fetcher;
		const unreachable = await appWith({ vars: { KEYSTONE: keystoneDown } }).api("/v1/images", {
			method: "POST",
			as: "anonymous",
			headers: { "x-auth-token": "ks-member-token-3", "content-type": "application/json" },
			body: JSON.stringify(REGISTRATION),
		});
		expect(unreachable.status).toBe(503);
		expect((await errorOf(unreachable)).message).toContain("could not be reached");
	});

	it("keeps static tokens working without asking Keystone", async () => {
		const before = await keystoneValidations();
		expect((await postJson("/v1/images", REGISTRATION)).status).toBe(202);
		expect(await keystoneValidations()).toBe(before);
	});

	it("does not consult Keystone when KEYSTONE_URL is unset", async () => {
		const before = await keystoneValidations();
		const res = await appWith({ vars: { KEYSTONE_URL: "" } }).api("/v1/images", {
			method: "POST",
			as: "anonymous",
			headers: { "x-auth-token": "ks-admin-token", "content-type": "application/json" },
			body: JSON.stringify(REGISTRATION),
		});
		expect(res.status).toBe(401);
		expect(await keystoneValidations()).toBe(before);
	});
});
