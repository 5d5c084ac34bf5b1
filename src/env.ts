import type { ConfigVars } from "./config/schema";

/**
 * What wrangler.toml cannot say: every var is optional, since each has a default (the schema
 * types them all, secrets included); the KEYSTONE service binding exists only where someone
 * fronts Keystone with a Worker; and what the queue carries.
 */
export interface UndeclaredBindings extends ConfigVars {
	/** Reaches Keystone instead of fetching KEYSTONE_URL. */
	KEYSTONE?: Fetcher;
	/** Completed upload sessions waiting for verification. */
	VERIFY_QUEUE?: Queue<VerifyMessage>;
}

/** The bindings: those `npm run types` generated from wrangler.toml, with the above on top. */
export interface Env extends Omit<Cloudflare.Env, keyof UndeclaredBindings>, UndeclaredBindings {}

/** What the upload-session verifier is told: which image's assembled object to check. */
export interface VerifyMessage {
	image_id: string;
}

type StringBindings<E> = { [K in keyof E]-?: E[K] extends string ? K : never }[keyof E];
type NoneOf<Names extends never> = Names;
/**
 * A var or secret wrangler knows of but the schema does not would reach the code unparsed and
 * undocumented: name it in src/config/schema.ts, and this compiles again.
 */
export type VarsOutsideSchema = NoneOf<Exclude<StringBindings<Cloudflare.Env>, keyof ConfigVars>>;
