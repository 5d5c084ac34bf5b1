import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { MOUNTED_PREFIXES, versionDocument, versionsDocument } from "../http/api-versions";
import { VERSIONS_PATH } from "../http/negotiation";
import { jsonContent, requestIdHeader } from "../openapi/components";
import { describe } from "../openapi/describe";
import { V2_DOCS } from "../openapi/v2-docs";

const base = (c: Context<AppEnv>) => c.var.config.publicEndpoint ?? new URL(c.req.url).origin;

const listVersionsDoc = describe({
	operationId: "listVersions",
	summary: "API versions",
	tags: ["versions"],
	security: [],
	responses: {
		"200": {
			description:
				"The versions this server speaks: v2.15 (current), the other v2 minors Glance 25.1 lists, then v1.1 and v1.0 (deprecated).",
			headers: requestIdHeader,
			content: jsonContent("Versions"),
		},
	},
});

const listVersionsRootDoc = describe({
	operationId: "listVersionsRoot",
	summary: "API versions (300 Multiple Choices)",
	description:
		"Glance answers the root with 300 and the versions document, as it answers every request its version negotiation cannot place, whatever the method: an unversioned path such as `/images` (unless `Accept: application/vnd.openstack.images-v1`, `-v1.0` or `-v1.1` routes it to that version), an unknown prefix such as `/v1.a/images` or `/v9/images`, or another vendor media type.",
	tags: ["versions"],
	security: [],
	responses: {
		"300": {
			description: "The versions this server speaks.",
			headers: requestIdHeader,
			content: jsonContent("Versions"),
		},
	},
});

// The token-less `{"version": {...}}` of GET /v1 is documented with the brief list it shares
// the path with (routes/image-list.ts).
export function versionRoutes() {
	const app = new Hono<AppEnv>();
	app.get("/versions", listVersionsDoc, (c) => c.json(versionsDocument(base(c)), 200));
	// Glance answers the root, and every request version negotiation cannot place, with 300
	// Multiple Choices and the same document, whatever the method.
	app.all(VERSIONS_PATH, listVersionsRootDoc, (c) => c.json(versionsDocument(base(c)), 300));
	// keystoneauth discovers a versioned endpoint (`.../v1`) with a GET that carries no token
	// first, and needs `{"version": {...}}` back; with a token, GET /v1 stays Glance's brief image
	// list (v1 clients always send one), answered by the v1 routes.
	for (const { prefix, version } of MOUNTED_PREFIXES) {
		const discovery: MiddlewareHandler<AppEnv> = async (c, next) => {
			if (c.req.header("x-auth-token")) return next();
			return c.json(versionDocument(version, base(c)), 200);
		};
		// v1's root is documented with the brief list it shares the path with.
		if (version.api === "v2") app.get(prefix, describe(V2_DOCS.version), discovery);
		else app.get(prefix, discovery);
	}
	return app;
}
