import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../http/errors";
import { createDownloadLink } from "../services/download-link";
import { createDownloadLinkDoc } from "./console-docs";

/** `POST /v1/images/{id}/download-link`: a short-lived URL that downloads without a token. */
export function downloadLinkRoutes() {
	const app = new Hono<AppEnv>();
	app.post("/images/:id/download-link", createDownloadLinkDoc, async (c) => {
		const base = c.var.config.publicEndpoint ?? new URL(c.req.url).origin;
		const link = await createDownloadLink(c.var, c.req.param("id"), base);
		c.header("Cache-Control", "no-store");
		return c.json({ link }, 201);
	});
	app.all("/images/:id/download-link", () => {
		throw methodNotAllowed(["POST"]);
	});
	return app;
}
