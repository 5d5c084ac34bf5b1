import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Config } from "../config";
import { misconfigured, Refusal } from "../domain/refusal";
import { resolveKeystoneToken } from "../identity/keystone";
import {
	parseStaticTokens,
	resolveStaticToken,
	type StaticTokenTable,
} from "../identity/static-tokens";

/**
 * Requires X-Auth-Token and resolves it to the caller's identity (design.md §6): first against
 * the static AUTH_TOKENS, then, when KEYSTONE_URL is set, against Keystone.
 */
export function requireToken(): MiddlewareHandler<AppEnv> {
	// The token list is read, validated and hashed once per settings object (itself made once per
	// bindings object), not per request: hashing every entry was most of a request's own CPU.
	// A misconfigured list stays a refusal, raised afresh for every request.
	const tables = new WeakMap<Config, Promise<StaticTokenTable | { misconfigured: Refusal }>>();
	const tableOf = async (config: Config): Promise<StaticTokenTable> => {
		let table = tables.get(config);
		if (!table) {
			table = parseStaticTokens(config.authTokens, config.adminRole).catch((err: unknown) => {
				if (err instanceof Refusal) return { misconfigured: err };
				throw err;
			});
			tables.set(config, table);
		}
		const found = await table;
		if ("misconfigured" in found)
			throw new Refusal(found.misconfigured.kind, found.misconfigured.message);
		return found;
	};
	return async function authenticate(c, next) {
		const token = c.req.header("x-auth-token");
		if (!token)
			throw new Refusal("unauthenticated", "Authentication required: send an X-Auth-Token header.");
		const config = c.get("config");
		let identity = await resolveStaticToken(await tableOf(config), token);
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
