import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { misconfigured } from "../domain/refusal";
import type { Env } from "../env";
import { D1ImageRepository } from "../metadata/d1-image-repository";
import { D1MemberRepository } from "../metadata/d1-member-repository";
import { D1SessionRepository } from "../metadata/d1-session-repository";
import type { ImageRepository } from "../metadata/image-repository";
import type { MemberRepository } from "../metadata/member-repository";
import type { SessionRepository } from "../metadata/session-repository";
import { bindingProbes, type HealthProbes } from "../routes/health";
import type { BlobStore } from "../storage/blob-store";
import { R2BlobStore } from "../storage/r2-blob-store";

/** How the app builds its collaborators from the bindings; tests replace any of them. */
export interface AppDeps {
	imageRepository: (env: Env) => ImageRepository;
	memberRepository: (env: Env) => MemberRepository;
	sessionRepository: (env: Env) => SessionRepository;
	/** Hands a completed upload session to the background verifier. */
	enqueueVerification: (env: Env) => (imageId: string) => Promise<void>;
	blobStore: (env: Env) => BlobStore;
	/** What GET /healthz calls to reach D1 and R2. */
	healthProbes: (env: Env) => HealthProbes;
}

export const defaultDeps: AppDeps = {
	imageRepository: (env) => new D1ImageRepository(env.DB),
	memberRepository: (env) => new D1MemberRepository(env.DB),
	sessionRepository: (env) => new D1SessionRepository(env.DB),
	enqueueVerification: (env) => async (imageId) => {
		if (!env.VERIFY_QUEUE) {
			throw misconfigured("the VERIFY_QUEUE binding is missing.");
		}
		await env.VERIFY_QUEUE.send({ image_id: imageId });
	},
	blobStore: (env) => new R2BlobStore(env.IMAGES),
	healthProbes: bindingProbes,
};

/** Builds the repository and blob store per request and puts them on the context. */
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
