import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { unauthorized } from "../errors";
import { resolveStaticToken } from "../identity/static-tokens";

/** Requires X-Auth-Token and resolves it to the caller's identity (design.md §6). */
export function requireToken(): MiddlewareHandler<AppEnv> {
	return async function authenticate(c, next) {
		const token = c.req.header("x-auth-token");
		if (!token) throw unauthorized("Authentication required: send an X-Auth-Token header.");
		const identity = await resolveStaticToken(c.env.AUTH_TOKENS, token, c.var.config.adminRole);
		if (!identity) throw unauthorized("The X-Auth-Token is not valid.");
		c.set("identity", identity);
		await next();
	};
}
