import type { MiddlewareHandler } from "hono";
import type { RouterRoute } from "hono/types";
import { findTargetHandler } from "hono/utils/handler";
import type { Json } from "./types";

/**
 * A route's OpenAPI operation, written beside its handler. Kept loose, like every piece of the
 * document: the document is validated as a whole (the e2e checks it against OpenAPI 3.1).
 */
export interface RouteDoc {
	operationId: string;
	summary: string;
	description?: string;
	tags: string[];
	/** `[]` for a route that needs no X-Auth-Token. */
	security?: [];
	parameters?: Json[];
	requestBody?: Json;
	responses: Record<string, Json>;
}

interface Carried {
	operation: RouteDoc;
	/** Filed under `head` although the route is a GET. */
	head: boolean;
}

const CARRIED = Symbol("route doc");

// A middleware that only carries the operation, so that it is registered with the route itself
// and found in `app.routes` (what hono-openapi's describeRoute does, without the schema
// converters its module brings into the bundle).
function carrier(carried: Carried): MiddlewareHandler {
	const passOn: MiddlewareHandler = async (_c, next) => {
		await next();
	};
	return Object.assign(passOn, { [CARRIED]: carried });
}

/** Documents the route it is mounted on. */
export const describe = (operation: RouteDoc) => carrier({ operation, head: false });

/** Documents the HEAD answer of a GET route: Hono serves HEAD with the GET handler. */
export const describeHead = (operation: RouteDoc) => carrier({ operation, head: true });

/** What a registered route carries, if it is one of the above. */
export const carriedBy = (route: RouterRoute): Carried | undefined =>
	(findTargetHandler(route.handler) as { [CARRIED]?: Carried })[CARRIED];
