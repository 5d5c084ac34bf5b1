import type { Config } from "./config";
import type { KeystoneFetcher } from "./deps";
import type { Identity } from "./domain/identity";
import type { Env } from "./env";
import type { ApiDialect, MetaForm } from "./http/errors";
import type { ImageRepository } from "./metadata/image-repository";
import type { MemberRepository } from "./metadata/member-repository";
import type { SessionRepository } from "./metadata/session-repository";
import type { BlobStore } from "./storage/blob-store";

/** What the middleware puts on each request's context for the routes. */
export interface AppVariables {
	requestId: string;
	/** How Keystone is reached (deps.ts). */
	keystone: KeystoneFetcher;
	/** How the request spelled image metadata, once it has been read. */
	metaForm?: MetaForm;
	/** Which API answers the request (its errors' statuses differ in places); v1 when unset. */
	dialect?: ApiDialect;
	config: Config;
	identity: Identity;
	images: ImageRepository;
	members: MemberRepository;
	sessions: SessionRepository;
	enqueueVerification: (imageId: string, options?: { delaySeconds?: number }) => Promise<void>;
	blobs: BlobStore;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
