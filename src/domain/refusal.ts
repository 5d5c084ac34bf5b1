/**
 * Why the core said no, without saying how a wire protocol spells it. Each API dialect's HTTP
 * layer maps the kind to a status and the canonical field (`size`, `properties.os_distro`,
 * `disk_format`) to what its request sent (`x-image-meta-size` for v1 headers, `size` for JSON).
 */
export type RefusalKind =
	/** The request is malformed or breaks a rule about its values. */
	| "invalid"
	/** No valid credentials. */
	| "unauthenticated"
	/** The caller may see the thing but not do this to it. */
	| "forbidden"
	/** Not there, or not visible to the caller (the two are never told apart). */
	| "not_found"
	/** The thing is in a state that does not allow this (another request got there first). */
	| "conflict"
	/** The image was deleted while the request was working on it. */
	| "deleted_meanwhile"
	/** A size, count or quota limit. */
	| "too_large"
	/** The operation exists in the API but not in this service. */
	| "not_implemented"
	/** A dependency (D1, R2, Keystone, the queue) failed; trying again may work. */
	| "unavailable"
	/** The operator's configuration is wrong; the caller cannot fix it. */
	| "misconfigured";

export interface RefusalOptions {
	/** The canonical name of the field at fault. */
	field?: string;
	cause?: unknown;
}

export class Refusal extends Error {
	readonly kind: RefusalKind;
	readonly field?: string;

	constructor(kind: RefusalKind, message: string, options: RefusalOptions = {}) {
		super(message, { cause: options.cause });
		this.name = "Refusal";
		this.kind = kind;
		this.field = options.field;
	}
}

export const invalid = (message: string, field?: string) =>
	new Refusal("invalid", message, { field });
export const forbidden = (message: string, field?: string) =>
	new Refusal("forbidden", message, { field });
export const notFound = (message: string) => new Refusal("not_found", message);
export const conflict = (message: string, field?: string) =>
	new Refusal("conflict", message, { field });
export const tooLarge = (message: string, field?: string) =>
	new Refusal("too_large", message, { field });
export const unavailable = (message: string, cause?: unknown) =>
	new Refusal("unavailable", message, { cause });
export const misconfigured = (message: string) =>
	new Refusal("misconfigured", `Server misconfigured: ${message}`);
