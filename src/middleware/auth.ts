import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { misconfigured, Refusal } from "../domain/refusal";
import { resolveKeystoneToken } from "../identity/keystone";
import { resolveStaticToken } from "../identity/static-tokens";

/**
 * Requires X-Auth-Token and resolves it to the caller's identity (design.md §6): first against
 * the static AUTH_TOKENS, then, when KEYSTONE_URL is set, against Keystone.
 */
export function requireToken(): MiddlewareHandler<AppEnv> {
	return async function authenticate(c, next) {
		const token = c.req.header("x-auth-token");
		if (!token)
			throw new Refusal("unauthenticated", "Authentication required: send an X-Auth-Token header.");
		const { config } = c.var;
		let identity = await resolveStaticToken(config.authTokens, token, config.adminRole);
		if (!identity && config.keystoneUrl) {
			const serviceToken = config.keystoneServiceToken;
			if (!serviceToken) {
				throw misconfigured("KEYSTONE_URL is set but KEYSTONE_SERVICE_TOKEN is not.");
			}
			identity = await resolveKeystoneToken(token, {
				url: config.keystoneUrl,
				serviceToken,
				adminRole: config.adminRole,
				cacheSeconds: config.keystoneCacheSeconds,
				fetcher: c.var.keystone,
				cache: typeof caches === "undefined" ? null : caches.default,
			});
		}
		if (!identity) throw new Refusal("unauthenticated", "The X-Auth-Token is not valid.");
		c.set("identity", identity);
		await next();
	};
}
