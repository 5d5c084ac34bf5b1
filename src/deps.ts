import { misconfigured } from "./domain/refusal";
import type { Env } from "./env";
import { D1ImageRepository } from "./metadata/d1-image-repository";
import { D1MemberRepository } from "./metadata/d1-member-repository";
import { D1SessionRepository } from "./metadata/d1-session-repository";
import { D1SweeperQueries, type SweeperQueries } from "./metadata/d1-sweeper-queries";
import type { ImageRepository } from "./metadata/image-repository";
import type { MemberRepository } from "./metadata/member-repository";
import type { SessionRepository } from "./metadata/session-repository";
import type { HealthProbes } from "./services/health";
import type { BlobStore } from "./storage/blob-store";
import { R2BlobStore } from "./storage/r2-blob-store";

/**
 * The composition root: how every adapter is built from the bindings. The middleware, the
 * queue consumer and the sweeper take them from here; tests replace any of them.
 */
export interface AppDeps {
	imageRepository: (env: Env) => ImageRepository;
	memberRepository: (env: Env) => MemberRepository;
	sessionRepository: (env: Env) => SessionRepository;
	/** Hands a completed upload session to the background verifier, now or after a delay. */
	enqueueVerification: (
		env: Env,
	) => (imageId: string, options?: { delaySeconds?: number }) => Promise<void>;
	blobStore: (env: Env) => BlobStore;
	/** What GET /healthz calls to reach D1 and R2. */
	healthProbes: (env: Env) => HealthProbes;
	sweeperQueries: (env: Env) => SweeperQueries;
	/** How Keystone is reached: its service binding when there is one, else the network. */
	keystoneFetcher: (env: Env) => KeystoneFetcher;
}

export type KeystoneFetcher = (input: string, init: RequestInit) => Promise<Response>;

/** A key no image uses: a HEAD of it is R2's cheapest call (a Class B operation). */
const R2_PROBE_KEY = "healthz/probe";

/** The real probes: a one-row read of the images table (so a D1 without the migrations fails) and a HEAD of a fixed key on R2. */
export function bindingProbes(env: Env): HealthProbes {
	return {
		d1: () => env.DB.prepare("SELECT 1 FROM images LIMIT 1").first(),
		r2: () => env.IMAGES.head(R2_PROBE_KEY),
	};
}

export const defaultDeps: AppDeps = {
	imageRepository: (env) => new D1ImageRepository(env.DB),
	memberRepository: (env) => new D1MemberRepository(env.DB),
	sessionRepository: (env) => new D1SessionRepository(env.DB),
	enqueueVerification: (env) => async (imageId, options) => {
		if (!env.VERIFY_QUEUE) throw misconfigured("the VERIFY_QUEUE binding is missing.");
		await env.VERIFY_QUEUE.send({ image_id: imageId }, options);
	},
	blobStore: (env) => new R2BlobStore(env.IMAGES),
	healthProbes: bindingProbes,
	sweeperQueries: (env) => new D1SweeperQueries(env.DB),
	keystoneFetcher: (env) => {
		const binding = env.KEYSTONE;
		return binding
			? (input, init) => binding.fetch(input, init)
			: (input, init) => fetch(input, init);
	},
};

/** Defaults, with whatever a caller (a test) overrides. */
export const withDefaults = (overrides: Partial<AppDeps> = {}): AppDeps => ({
	...defaultDeps,
	...overrides,
});
