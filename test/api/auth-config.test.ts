import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { errorOf, TOKENS } from "../helpers/http";

// The token table is read from AUTH_TOKENS once per bindings object; these pin what every
// request of one app still sees.

function list(app: ReturnType<typeof createApp>, bindings: object, token: string = TOKENS.owner) {
	return app.request(
		"https://glance.test/v1/images",
		{ headers: { "x-auth-token": token } },
		bindings,
	);
}

describe("AUTH_TOKENS across requests", () => {
	it("refuses every request with the same 500 while the list is misconfigured", async () => {
		const app = createApp();
		const bindings = { ...env, AUTH_TOKENS: "[not json" };
		for (let i = 0; i < 3; i++) {
			const res = await list(app, bindings);
			expect(res.status).toBe(500);
			expect((await errorOf(res)).message).toContain("AUTH_TOKENS is not valid JSON");
		}
	});

	it("resolves known tokens and refuses unknown ones on every request", async () => {
		const app = createApp();
		const bindings = { ...env };
		for (let i = 0; i < 3; i++) {
			expect((await list(app, bindings)).status).toBe(200);
			expect((await list(app, bindings, "not-a-token")).status).toBe(401);
		}
	});

	it("reads a changed list from new bindings", async () => {
		const app = createApp();
		const only = (token: string) => ({
			...env,
			AUTH_TOKENS: JSON.stringify([{ token, tenant: "tenant-a", roles: ["member"] }]),
		});
		expect((await list(app, only("first-token"), "first-token")).status).toBe(200);
		expect((await list(app, only("second-token"), "first-token")).status).toBe(401);
		expect((await list(app, only("second-token"), "second-token")).status).toBe(200);
	});
});
