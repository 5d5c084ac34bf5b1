import { Refusal } from "../../src/domain/refusal";
import { parseStaticTokens, resolveStaticToken } from "../../src/identity/static-tokens";

const hex = async (text: string) =>
	[...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)))]
		.map((b) => b.toString(16).padStart(2, "0"))
		.join("");

describe("static tokens", () => {
	it("resolves a plain token and a token_sha256 entry to their identities", async () => {
		const raw = JSON.stringify([
			{ token: "plain-token", tenant: "t1", user: "u1", roles: ["Admin"] },
			{ token_sha256: await hex("hashed-token"), tenant: "t2", roles: ["member"] },
		]);
		const table = await parseStaticTokens(raw, "admin");
		expect(await resolveStaticToken(table, "plain-token")).toEqual({
			tenant: "t1",
			user: "u1",
			roles: ["Admin"],
			isAdmin: true,
		});
		expect(await resolveStaticToken(table, "hashed-token")).toEqual({
			tenant: "t2",
			user: null,
			roles: ["member"],
			isAdmin: false,
		});
		expect(await resolveStaticToken(table, "unknown")).toBeNull();
		// A table is read-only: the same table answers again.
		expect((await resolveStaticToken(table, "plain-token"))?.tenant).toBe("t1");
	});

	it("gives the first matching entry when two share a token", async () => {
		const raw = JSON.stringify([
			{ token: "same", tenant: "first", roles: [] },
			{ token: "same", tenant: "second", roles: [] },
		]);
		const table = await parseStaticTokens(raw, "admin");
		expect((await resolveStaticToken(table, "same"))?.tenant).toBe("first");
	});

	it("knows no token without AUTH_TOKENS", async () => {
		expect(await resolveStaticToken(await parseStaticTokens(null, "admin"), "any")).toBeNull();
	});

	it.each([
		["not json", "AUTH_TOKENS is not valid JSON."],
		[JSON.stringify([{ tenant: "t", roles: [] }]), "AUTH_TOKENS: each entry needs exactly one"],
	])("refuses a misconfigured list %j", async (raw, message) => {
		const refused = await parseStaticTokens(raw, "admin").catch((e: unknown) => e);
		expect(refused).toBeInstanceOf(Refusal);
		expect((refused as Refusal).message).toContain(message);
	});
});
