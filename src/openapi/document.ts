import type { RouterRoute } from "hono/types";
import { API_VERSIONS } from "../http/api-versions";
import { components } from "./components";
import { carriedBy } from "./describe";
import type { Json } from "./types";

const DESCRIPTION = `An OpenStack Image API v1 (Glance v1) and v2 registry on Cloudflare Workers: metadata in D1, image data in R2. Both APIs serve the same images.

- Every \`/v1\` and \`/v2\` route needs an \`X-Auth-Token\`; \`/v1.0\` and \`/v1.1\` are aliases of \`/v1\`, every listed v2 minor (\`/v2.3\`) of \`/v2\`.
- Errors are JSON: \`{"error": {"code", "title", "message", "field"?}}\` (HEAD answers carry no body).
- Every response carries \`x-openstack-request-id\`, which the service's logs record.
- Where glance-edge differs from Glance v1 on purpose: registration without data answers 202 with the reserved \`r2://\` location; JSON registration is accepted; SHA-512 (\`os_hash_value\`) next to MD5; \`Range\` downloads; external sources (\`copy_from\`, \`location\`) are refused.`;

const TAGS = [
	{ name: "images", description: "Register, upload, download, update, delete and list images." },
	{ name: "members", description: "Share images with other tenants." },
	{
		name: "upload sessions",
		description:
			"Extension (not in Glance v1): upload an image larger than one request body as parts.",
	},
	{ name: "console", description: "What the browser console at /console/ needs besides the API." },
	{
		name: "images v2",
		description:
			"Image API v2 (Glance 25.1's wire) over the same images: JSON records, JSON-patch updates, `/file` data.",
	},
	{
		name: "members v2",
		description:
			"Image API v2 sharing: the owner adds projects to a `shared` image, each project accepts or rejects it.",
	},
	{ name: "versions", description: "Which API versions this server speaks." },
	{ name: "service", description: "This document, the docs page, and the health check." },
];

/** Prefixes that serve a version's routes again under another name (`/v1.0` for `/v1`). */
const ALIASES = API_VERSIONS.flatMap((version) =>
	version.prefixes.filter((p) => p !== version.self),
);
const isAlias = (path: string) => ALIASES.some((a) => path === a || path.startsWith(`${a}/`));

const VERSION_ROOTS = new Set(API_VERSIONS.map((version) => version.self));

/**
 * Hono's `:id` as OpenAPI's `{id}`; a version's root as `/v1/`, the URL the versions document
 * links to (Hono joins the prefix and a sub-app's `/` into `/v1`).
 */
const templated = (path: string) =>
	VERSION_ROOTS.has(path) ? `${path}/` : path.replace(/:(\w+)/g, "{$1}");

/**
 * The operations the app's routes carry (describe() / describeHead() beside each handler), by
 * path and method. An all-method route is filed under `get`: such a route is either a path Glance
 * answered for every method, where GET is the one to call, or a 405 fallback, which carries no
 * description.
 */
export function routeOperations(
	routes: readonly RouterRoute[],
): Record<string, Record<string, Json>> {
	const paths: Record<string, Record<string, Json>> = {};
	for (const route of routes) {
		const carried = carriedBy(route);
		if (!carried || isAlias(route.path)) continue;
		const method = carried.head
			? "head"
			: route.method === "ALL"
				? "get"
				: route.method.toLowerCase();
		const path = templated(route.path);
		paths[path] ??= {};
		// Two descriptions of one operation would silently hide one of them.
		if (paths[path][method]) throw new Error(`${method.toUpperCase()} ${path} is described twice`);
		paths[path][method] = { ...carried.operation };
	}
	return paths;
}

/** The OpenAPI 3.1 document, from the operations the routes carry and the valibot schemas. */
export function openApiDocument(
	serverUrl: string,
	paths: Record<string, Record<string, Json>>,
): Json {
	return {
		openapi: "3.1.0",
		info: {
			title: "glance-edge",
			version: "1.1",
			description: DESCRIPTION,
		},
		servers: [{ url: serverUrl }],
		tags: TAGS,
		security: [{ authToken: [] }],
		paths,
		components: components(),
	};
}
