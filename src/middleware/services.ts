import type { MiddlewareHandler } from "hono";
import type { AppEnv, Env } from "../env";
import { D1ImageRepository } from "../metadata/d1-image-repository";
import { D1MemberRepository } from "../metadata/d1-member-repository";
import type { ImageRepository } from "../metadata/image-repository";
import type { MemberRepository } from "../metadata/member-repository";
import type { BlobStore } from "../storage/blob-store";
import { R2BlobStore } from "../storage/r2-blob-store";

/** How the app builds its collaborators from the bindings; tests replace any of them. */
export interface AppDeps {
	imageRepository: (env: Env) => ImageRepository;
	memberRepository: (env: Env) => MemberRepository;
	blobStore: (env: Env) => BlobStore;
}

export const defaultDeps: AppDeps = {
	imageRepository: (env) => new D1ImageRepository(env.DB),
	memberRepository: (env) => new D1MemberRepository(env.DB),
	blobStore: (env) => new R2BlobStore(env.IMAGES),
};

/** Builds the repository and blob store per request and puts them on the context. */
export function services(deps: AppDeps): MiddlewareHandler<AppEnv> {
	return async function attachServices(c, next) {
		c.set("images", deps.imageRepository(c.env));
		c.set("members", deps.memberRepository(c.env));
		c.set("blobs", deps.blobStore(c.env));
		await next();
	};
}
