import type { Context } from "hono";
import { HEADER_FIELDS } from "../domain/glance-rules";
import { Refusal, type RefusalKind } from "../domain/refusal";

const TITLES: Record<number, string> = {
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	409: "Conflict",
	410: "Gone",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Request Entity Too Large",
	416: "Requested Range Not Satisfiable",
	500: "Internal Server Error",
	501: "Not Implemented",
	503: "Service Unavailable",
};

/** How the core's refusals are answered over HTTP. */
export const REFUSAL_STATUS: Record<RefusalKind, number> = {
	invalid: 400,
	unauthenticated: 401,
	forbidden: 403,
	not_found: 404,
	conflict: 409,
	// Glance v1 answered an upload whose image was deleted meanwhile with 412.
	deleted_meanwhile: 412,
	too_large: 413,
	not_implemented: 501,
	unavailable: 503,
	misconfigured: 500,
};

/**
 * Where the two APIs answer one refusal differently. Glance v2 answers an upload whose image
 * was deleted meanwhile with 410 Gone (its `image_data.upload`), v1 with 412.
 */
const V2_REFUSAL_STATUS: Record<RefusalKind, number> = {
	...REFUSAL_STATUS,
	deleted_meanwhile: 410,
};

/** Which API dialect answers a request; set by the v2 router, v1 otherwise. */
export type ApiDialect = "v1" | "v2";

export const titleOf = (status: number) => TITLES[status] ?? "Error";

export interface ApiErrorOptions {
	/** The request field the error is about, as the client spelled it. */
	field?: string;
	headers?: Record<string, string>;
	cause?: unknown;
}

/**
 * An answer only the HTTP layer can give (405 with Allow, 416 with Content-Range); the core
 * raises Refusals instead. Both render through `renderError`.
 */
export class ApiError extends Error {
	readonly status: number;
	readonly field?: string;
	readonly headers: Record<string, string>;

	constructor(status: number, message: string, options: ApiErrorOptions = {}) {
		super(message, { cause: options.cause });
		this.name = "ApiError";
		this.status = status;
		this.field = options.field;
		this.headers = options.headers ?? {};
	}

	get title(): string {
		return titleOf(this.status);
	}
}

export const methodNotAllowed = (allow?: readonly string[]) =>
	new ApiError(405, "The method is not allowed for the requested URL.", {
		headers: allow ? { Allow: allow.join(", ") } : {},
	});

/** Which spelling a request used for image metadata; set by the reader of the request. */
export type MetaForm = "headers" | "json";

const META_FIELDS: ReadonlySet<string> = new Set(HEADER_FIELDS);
const PROPERTY_PATH = "properties.";

/** The canonical field as the client sent it: v1 headers are `x-image-meta-<field>`. */
export function spellField(field: string, form: MetaForm | undefined): string {
	if (form !== "headers") return field;
	if (field.startsWith(PROPERTY_PATH)) {
		return `x-image-meta-property-${field.slice(PROPERTY_PATH.length)}`;
	}
	return META_FIELDS.has(field) ? `x-image-meta-${field}` : field;
}

const INTERNAL =
	"The server has either erred or is incapable of performing the requested operation.";

/** Any thrown value as the HTTP error it is answered with. */
export function toApiError(err: unknown, form?: MetaForm, dialect: ApiDialect = "v1"): ApiError {
	if (err instanceof ApiError) return err;
	if (err instanceof Refusal) {
		const headers: Record<string, string> =
			err.kind === "unauthenticated" ? { "WWW-Authenticate": 'Token realm="glance-edge"' } : {};
		const statuses = dialect === "v2" ? V2_REFUSAL_STATUS : REFUSAL_STATUS;
		return new ApiError(statuses[err.kind], err.message, {
			field: err.field === undefined ? undefined : spellField(err.field, form),
			headers,
			cause: err.cause,
		});
	}
	return new ApiError(500, INTERNAL);
}

/**
 * Renders any thrown value as the JSON error shape `{"error": {code, title, message}}`.
 * glanceclient's exception parser needs every top-level value to be an object with `message`.
 * Unknown errors are answered with a generic 500. Nothing is logged here: the request log
 * (middleware/request-log.ts) writes every 5xx once, with the error and its cause.
 */
export function renderError(err: unknown, c: Context): Response {
	const apiError = toApiError(err, c.get("metaForm"), c.get("dialect"));
	const headers = new Headers(apiError.headers);
	if (c.req.method === "HEAD") {
		// HEAD answers carry no body; glanceclient must not see an empty JSON document.
		headers.set("Content-Type", "text/plain; charset=UTF-8");
		return new Response(null, { status: apiError.status, headers });
	}
	headers.set("Content-Type", "application/json; charset=UTF-8");
	const body = {
		error: {
			code: apiError.status,
			title: apiError.title,
			message: apiError.message,
			...(apiError.field ? { field: apiError.field } : {}),
		},
	};
	return new Response(JSON.stringify(body), { status: apiError.status, headers });
}
