import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { type Config, loadConfig } from "../config";
import type { AppDeps } from "../deps";
import type { Env } from "../env";

/**
 * Gives every request its id (`x-openstack-request-id: req-<uuid>`, as Glance did) and parsed
 * configuration and the way to Keystone, and stamps the id on whatever response comes back, errors included.
 */
export function requestContext(deps: AppDeps): MiddlewareHandler<AppEnv> {
	// The vars are parsed against the settings schema once per bindings object: workerd hands
	// every request of an isolate the same env, and a valibot parse per request is fixed cost.
	const configs = new WeakMap<object, Config>();
	const configOf = (env: Env): Config => {
		let config = configs.get(env);
		if (!config) {
			config = loadConfig(env);
			configs.set(env, config);
		}
		return config;
	};
	return async function context(c, next) {
		const requestId = `req-${crypto.randomUUID()}`;
		c.set("requestId", requestId);
		c.set("config", configOf(c.env));
		c.set("keystone", deps.keystoneFetcher(c.env));
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
