import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { loadConfig } from "../config";

/**
 * Gives every request its id (`x-openstack-request-id: req-<uuid>`, as Glance did) and parsed
 * configuration, and stamps the id on whatever response comes back, errors included.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
	return async function context(c, next) {
		const requestId = `req-${crypto.randomUUID()}`;
		c.set("requestId", requestId);
		c.set("config", loadConfig(c.env));
		await next();
		try {
			c.res.headers.set("x-openstack-request-id", requestId);
		} catch {
			// Responses passed through from a binding can have immutable headers: copy them.
			c.res = new Response(c.res.body, c.res);
			c.res.headers.set("x-openstack-request-id", requestId);
		}
	};
}
