import type { Context } from "hono";

const TITLES: Record<number, string> = {
	400: "Bad Request",
	401: "Unauthorized",
	403: "Forbidden",
	404: "Not Found",
	405: "Method Not Allowed",
	409: "Conflict",
	411: "Length Required",
	412: "Precondition Failed",
	413: "Request Entity Too Large",
	416: "Requested Range Not Satisfiable",
	500: "Internal Server Error",
	501: "Not Implemented",
	503: "Service Unavailable",
};

export interface ApiErrorOptions {
	/** The request field the error is about (a header name, JSON key or query parameter). */
	field?: string;
	headers?: Record<string, string>;
	cause?: unknown;
}

/** The one error type of the service: every failure a client sees is an ApiError. */
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
		return TITLES[this.status] ?? "Error";
	}
}

export const badRequest = (message: string, field?: string) =>
	new ApiError(400, message, { field });
export const unauthorized = (message = "This server could not verify that you are authorized.") =>
	new ApiError(401, message, { headers: { "WWW-Authenticate": 'Token realm="glance-edge"' } });
export const forbidden = (message: string, field?: string) => new ApiError(403, message, { field });
export const notFound = (message: string) => new ApiError(404, message);
export const conflict = (message: string) => new ApiError(409, message);
export const payloadTooLarge = (message: string, field?: string) =>
	new ApiError(413, message, { field });
export const methodNotAllowed = (allow?: readonly string[]) =>
	new ApiError(405, "The method is not allowed for the requested URL.", {
		headers: allow ? { Allow: allow.join(", ") } : {},
	});

/**
 * Renders any thrown value as the JSON error shape `{"error": {code, title, message}}`.
 * glanceclient's exception parser needs every top-level value to be an object with `message`.
 * Unknown errors are answered with a generic 500. Nothing is logged here: the request log
 * (middleware/request-log.ts) writes every 5xx once, with the error and its cause.
 */
export function renderError(err: unknown, c: Context): Response {
	const apiError =
		err instanceof ApiError
			? err
			: new ApiError(
					500,
					"The server has either erred or is incapable of performing the requested operation.",
				);
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
