import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { IMPORT_METHODS } from "../../domain/glance-rules";
import { notFound } from "../../domain/refusal";
import { methodNotAllowed } from "../../http/errors";
import { refuseBody } from "../../http/v2/image-request";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import { quotaUsage } from "../../services/quota-usage";
import { v2Json } from "./images";

/**
 * Discovery (glance-v2-contract §2.14): one store, glance-direct as the only import method (no
 * method that fetches a URL), and the caller's usage.
 */
export function v2InfoRoutes() {
	const app = new Hono<AppEnv>();
	app.get("/info/import", describe(V2_DOCS.importInfo), (c) => {
		refuseBody(c.req.raw);
		return v2Json({
			"import-methods": {
				description: "Import methods available.",
				type: "array",
				value: [...IMPORT_METHODS],
			},
		});
	});
	app.all("/info/import", () => {
		throw methodNotAllowed(["GET"]);
	});
	for (const [path, routeDoc] of [
		["/info/stores", V2_DOCS.stores],
		["/info/stores/detail", V2_DOCS.storesDetail],
	] as const) {
		app.get(path, describe(routeDoc), (c) => {
			refuseBody(c.req.raw);
			throw notFound("Multi backend is not supported at this site.");
		});
		app.all(path, () => {
			throw methodNotAllowed(["GET"]);
		});
	}
	app.get("/info/usage", describe(V2_DOCS.usage), async (c) =>
		v2Json({ usage: await quotaUsage(c.var) }),
	);
	return app;
}
