import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { AppDeps } from "../deps";

/** Puts the request's repositories and blob store on the context; deps.ts builds them. */
export function services(deps: AppDeps): MiddlewareHandler<AppEnv> {
	return async function attachServices(c, next) {
		c.set("images", deps.imageRepository(c.env));
		c.set("members", deps.memberRepository(c.env));
		c.set("sessions", deps.sessionRepository(c.env));
		c.set("enqueueVerification", deps.enqueueVerification(c.env));
		c.set("blobs", deps.blobStore(c.env));
		await next();
	};
}
