import { SwaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { RouterRoute } from "hono/types";
import type { AppEnv } from "../app-env";
import { describe } from "../openapi/describe";
import { openApiDocument, routeOperations } from "../openapi/document";

/** Where the worker serves swagger-ui-dist itself ([assets] in wrangler.toml, public/docs/). */
const OWN_ASSETS = "/docs";

/** Shows the fallback note instead of a blank page when Swagger UI did not load (e.g. offline). */
const FALLBACK = `window.addEventListener("load", () => {
	if (typeof window.SwaggerUIBundle === "undefined") document.getElementById("docs-fallback").hidden = false;
});`;

const getOpenApiDoc = describe({
	operationId: "getOpenApi",
	summary: "This document (OpenAPI 3.1)",
	tags: ["service"],
	security: [],
	responses: {
		"200": {
			description: "The OpenAPI document.",
			content: { "application/json": { schema: { type: "object" } } },
		},
	},
});

const getDocsDoc = describe({
	operationId: "getDocs",
	summary: "Interactive API documentation (Swagger UI)",
	tags: ["service"],
	security: [],
	responses: {
		"200": {
			description: "An HTML page rendering /openapi.json.",
			content: { "text/html": { schema: { type: "string" } } },
		},
	},
});

/**
 * `GET /openapi.json` and `GET /docs` (Swagger UI), both public. The page loads Swagger UI's
 * script and stylesheet from the worker's static assets, so it works without any CDN, or from
 * `DOCS_ASSETS_URL`, a base URL under which `swagger-ui-dist/` is served.
 * The document is made of the descriptions the app's `routes` carry.
 */
export function docsRoutes(routes: () => readonly RouterRoute[]) {
	const app = new Hono<AppEnv>();
	// Collected on first use: by then every route is registered, and none is added later.
	let operations: ReturnType<typeof routeOperations> | undefined;

	app.get("/openapi.json", getOpenApiDoc, (c) => {
		const base = c.var.config.publicEndpoint ?? new URL(c.req.url).origin;
		operations ??= routeOperations(routes());
		return c.json(openApiDocument(base, operations));
	});

	app.get("/docs", getDocsDoc, (c) => {
		const assets = c.var.config.docsAssetsUrl;
		const ui = SwaggerUI({ url: "/openapi.json", baseUrl: assets ?? OWN_ASSETS });
		return c.html(html`<!doctype html>
<html lang="en">
	<head>
		<meta charset="utf-8" />
		<meta name="viewport" content="width=device-width, initial-scale=1" />
		<title>glance-edge API</title>
	</head>
	<body>
		${raw(ui)}
		<p id="docs-fallback" hidden style="font-family: sans-serif; margin: 2em">
			Swagger UI could not be loaded from ${assets ?? `${OWN_ASSETS}/swagger-ui-dist/`}: run
			\`npm run build:docs\` before deploying, or set DOCS_ASSETS_URL to a host that serves
			swagger-ui-dist. The API description itself is at
			<a href="/openapi.json">/openapi.json</a>.
		</p>
		<script>${raw(FALLBACK)}</script>
	</body>
</html>`);
	});

	return app;
}
