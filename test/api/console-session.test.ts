import { appWith } from "../helpers/app";
import { randomBytes } from "../helpers/bytes";
import { api, errorOf, postJson } from "../helpers/http";
import { registerActive, registerImage } from "../helpers/images";

const SIGN_IN = { username: "ks-user", password: "ks-password", project: "ks-project" };

describe("the console's API", () => {
	it("tells which sign-ins are offered, without a token", async () => {
		const res = await api("/console/api/config", { as: "anonymous" });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			sign_in: { token: true, password: true },
			disk_formats: [
				"ami",
				"ari",
				"aki",
				"vhd",
				"vhdx",
				"vmdk",
				"raw",
				"qcow2",
				"vdi",
				"iso",
				"ploop",
			],
			container_formats: ["ami", "ari", "aki", "bare", "ovf", "ova", "docker"],
			download_links: true,
		});
		const noKeystone = appWith({ vars: { KEYSTONE_URL: "" } });
		const off = await noKeystone.api("/console/api/config", { as: "anonymous" });
		expect(await off.json()).toMatchObject({ sign_in: { token: true, password: false } });
	});

	it("says who a token belongs to, and 401 without one", async () => {
		const res = await api("/console/api/session", { as: "admin" });
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			session: {
				token: null,
				expires_at: null,
				tenant: "admin-tenant",
				user: "admin",
				roles: ["admin"],
				is_admin: true,
			},
		});
		expect((await api("/console/api/session", { as: "anonymous" })).status).toBe(401);
	});

	it("exchanges a Keystone user name, password and project for a token that works", async () => {
		const res = await postJson("/console/api/session", SIGN_IN, { as: "anonymous" });
		expect(res.status).toBe(201);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const { session } = (await res.json()) as { session: Record<string, unknown> };
		expect(session).toMatchObject({
			token: "ks-member-token",
			tenant: "ks-project",
			user: "ks-user",
			roles: ["member", "reader"],
			is_admin: false,
		});
		expect(Date.parse(session.expires_at as string)).toBeGreaterThan(Date.now());
		const images = await api("/v1/images", {
			as: "anonymous",
			headers: { "x-auth-token": session.token as string },
		});
		expect(images.status).toBe(200);
	});

	it("refuses wrong credentials with 401 in words", async () => {
		const res = await postJson(
			"/console/api/session",
			{ ...SIGN_IN, password: "wrong" },
			{ as: "anonymous" },
		);
		expect(res.status).toBe(401);
		expect((await errorOf(res)).message).toBe(
			"The user name, password or project is not right (Keystone refused them).",
		);
		const project = await postJson(
			"/console/api/session",
			{ ...SIGN_IN, project: "elsewhere" },
			{ as: "anonymous" },
		);
		expect(project.status).toBe(401);
	});

	it("refuses a malformed body with 400 and Keystone failing with 503", async () => {
		const missing = await postJson(
			"/console/api/session",
			{ username: "ks-user" },
			{ as: "anonymous" },
		);
		expect(missing.status).toBe(400);
		const extra = await postJson(
			"/console/api/session",
			{ ...SIGN_IN, token: "x" },
			{ as: "anonymous" },
		);
		expect(extra.status).toBe(400);
		const down = await postJson(
			"/console/api/session",
			{ ...SIGN_IN, username: "ks-down" },
			{ as: "anonymous" },
		);
		expect(down.status).toBe(503);
	});

	it("answers 501 without KEYSTONE_URL", async () => {
		const noKeystone = appWith({ vars: { KEYSTONE_URL: "" } });
		const res = await noKeystone.api("/console/api/session", {
			method: "POST",
			as: "anonymous",
			headers: { "content-type": "application/json" },
			body: JSON.stringify(SIGN_IN),
		});
		expect(res.status).toBe(501);
		expect((await errorOf(res)).message).toMatch(/sign in with a token/);
	});

	it("tells what content inspection found, to callers who can see the image", async () => {
		const queued = await registerImage();
		const none = await api(`/console/api/images/${queued.id}/inspection`);
		expect(none.status).toBe(200);
		expect(await none.json()).toEqual({
			inspection: {
				status: "queued",
				detected_format: null,
				declared_format: "qcow2",
				status_reason: null,
			},
		});
		const raw = await registerActive(randomBytes(4096));
		const found = await api(`/console/api/images/${raw.id}/inspection`);
		expect(
			((await found.json()) as { inspection: Record<string, unknown> }).inspection,
		).toMatchObject({ status: "active", detected_format: "raw", declared_format: "raw" });
		expect((await api(`/console/api/images/${raw.id}/inspection`, { as: "other" })).status).toBe(
			404,
		);
		expect(
			(await api(`/console/api/images/${raw.id}/inspection`, { as: "anonymous" })).status,
		).toBe(401);
	});
});
