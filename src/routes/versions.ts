import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MOUNTED_PREFIXES, versionDocument, versionsDocument } from "../http/api-versions";
import { VERSIONS_PATH } from "../http/negotiation";

const base = (c: Context<AppEnv>) => c.var.config.publicEndpoint ?? new URL(c.req.url).origin;

export function versionRoutes() {
	const app = new Hono<AppEnv>();
	app.get("/versions", (c) => c.json(versionsDocument(base(c)), 200));
	// Glance answers the root, and every request version negotiation cannot place, with 300
	// Multiple Choices and the same document, whatever the method.
	app.all(VERSIONS_PATH, (c) => c.json(versionsDocument(base(c)), 300));
	// keystoneauth discovers a versioned endpoint (`.../v1`) with a GET that carries no token
	// first, and needs `{"version": {...}}` back; with a token, GET /v1 stays Glance's brief image
	// list (v1 clients always send one), answered by the v1 routes.
	for (const { prefix, version } of MOUNTED_PREFIXES) {
		app.get(prefix, async (c, next) => {
			if (c.req.header("x-auth-token")) return next();
			return c.json(versionDocument(version, base(c)), 200);
		});
	}
	return app;
}
