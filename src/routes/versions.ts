import { Hono } from "hono";
import type { AppEnv } from "../app-env";

/** The versions document (contract §2.1); this registry serves only the v1 API. */
function versionsDocument(base: string) {
	const href = `${base}/v1/`;
	return {
		versions: [
			{ id: "v1.1", status: "CURRENT", links: [{ rel: "self", href }] },
			{ id: "v1.0", status: "SUPPORTED", links: [{ rel: "self", href }] },
		],
	};
}

export function versionRoutes() {
	const app = new Hono<AppEnv>();
	const base = (c: { var: AppEnv["Variables"]; req: { url: string } }) =>
		c.var.config.publicEndpoint ?? new URL(c.req.url).origin;
	app.get("/versions", (c) => c.json(versionsDocument(base(c)), 200));
	// Glance answers the root with 300 Multiple Choices and the same document.
	app.get("/", (c) => c.json(versionsDocument(base(c)), 300));
	return app;
}
