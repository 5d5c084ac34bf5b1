/**
 * The part of node:crypto (nodejs_compat) tests use to compute digests by an implementation
 * independent of the worker's, without Node's whole type library next to the Workers types.
 */
declare module "node:crypto" {
	interface Hash {
		update(data: Uint8Array): Hash;
		digest(encoding: "hex"): string;
	}
	export function createHash(algorithm: "md5" | "sha512"): Hash;
}
