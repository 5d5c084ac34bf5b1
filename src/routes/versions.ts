import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { versionsDocument } from "../http/api-versions";
import { VERSIONS_PATH } from "../http/negotiation";

const base = (c: Context<AppEnv>) => c.var.config.publicEndpoint ?? new URL(c.req.url).origin;

export function versionRoutes() {
	const app = new Hono<AppEnv>();
	app.get("/versions", (c) => c.json(versionsDocument(base(c)), 200));
	// Glance answers the root, and every request version negotiation cannot place, with 300
	// Multiple Choices and the same document, whatever the method.
	app.all(VERSIONS_PATH, (c) => c.json(versionsDocument(base(c)), 300));
	return app;
}
