import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { publicImage } from "../domain/image";
import { methodNotAllowed } from "../http/errors";
import { parseListQuery } from "../http/list-query";

async function briefList(c: Context<AppEnv>): Promise<Response> {
	const query = parseListQuery(new URL(c.req.url).searchParams);
	const images = await c.var.images.list(query, c.var.identity, false);
	return c.json({ images });
}

/** GET /v1/images (brief), /v1/images/detail (full records), and /v1/ as the brief list. */
export function imageListRoutes() {
	const app = new Hono<AppEnv>();

	app.get("/", (c) => briefList(c));
	app.get("/images", (c, next) => {
		// Hono routes HEAD through GET handlers; Glance answers HEAD on the collection with a 405
		// "Allow: GET, POST", which the collection routes (mounted after these) give.
		if (c.req.method === "HEAD") return next();
		return briefList(c);
	});

	app.get("/images/detail", async (c) => {
		// Glance's detail action refuses HEAD itself (contract §2.2).
		if (c.req.method === "HEAD") throw methodNotAllowed(["GET"]);
		const query = parseListQuery(new URL(c.req.url).searchParams);
		const images = await c.var.images.list(query, c.var.identity, true);
		return c.json({ images: images.map(publicImage) });
	});
	app.all("/images/detail", () => {
		throw methodNotAllowed(["GET", "HEAD"]);
	});

	return app;
}
