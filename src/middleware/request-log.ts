import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../app-env";
import { toApiError } from "../http/errors";

/** One log line per request: a JSON object, so Workers Logs can filter on every field. */
export interface RequestLogLine {
	level: "info" | "error";
	msg: "request";
	request_id: string | null;
	method: string;
	/** The route pattern that matched (`/v1/images/:id`), never the raw URL; null when none did. */
	route: string | null;
	status: number;
	/** Until the response headers; a streamed body goes on after. Workers clocks move only on I/O. */
	duration_ms: number;
	tenant: string | null;
	image_id: string | null;
	/** Request Content-Length, 0 without a body, null when chunked. */
	bytes_in: number | null;
	/** Response Content-Length, 0 without a body, null when not known up front (e.g. JSON). */
	bytes_out: number | null;
	/** For a 5xx: the error and its cause chain. For a 4xx: the field at fault, if any. */
	error?: LoggedError | { field: string };
}

interface LoggedError {
	name: string;
	message: string;
	stack?: string;
	cause?: LoggedError;
}

const MAX_CAUSES = 4;

function describe(err: unknown, depth = 0): LoggedError {
	const e = err instanceof Error ? err : new Error(String(err));
	const logged: LoggedError = { name: e.name, message: e.message, stack: e.stack };
	if (e.cause !== undefined && depth < MAX_CAUSES) logged.cause = describe(e.cause, depth + 1);
	return logged;
}

/** The first matched route that is an endpoint rather than a `*` middleware. */
function routePattern(c: Context): string | null {
	const route = matchedRoutes(c).find((r) => !r.path.endsWith("*"));
	return route?.path ?? null;
}

/** The `:id` segment of the request path, aligned with the route pattern. */
function imageIdFrom(pattern: string | null, path: string): string | null {
	if (!pattern) return null;
	const at = pattern.split("/").indexOf(":id");
	if (at < 0) return null;
	const segment = path.split("/")[at];
	if (!segment) return null;
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
}

/** A registration names its new image only in the Location header (`…/v1/images/<id>`). */
function createdImageId(res: Response): string | null {
	const location = res.headers.get("location");
	return location?.match(/\/images\/([^/?#]+)$/)?.[1] ?? null;
}

function length(header: string | null, hasBody: boolean): number | null {
	if (header !== null) {
		const n = Number(header);
		return Number.isSafeInteger(n) && n >= 0 ? n : null;
	}
	return hasBody ? null : 0;
}

function errorField(c: Context, status: number): RequestLogLine["error"] {
	const err = c.error;
	if (status >= 500) return err ? describe(err) : undefined;
	const field = err ? toApiError(err, c.get("metaForm")).field : undefined;
	if (field) return { field };
	return undefined;
}

/**
 * Logs every request as one JSON line: request id, method, route pattern, status, duration,
 * tenant, image id, bytes in and out. Never tokens, headers or query strings. A 5xx carries its
 * error and cause chain here, and nowhere else, so it is logged whatever REQUEST_LOG says.
 * Mount it first, so it sees every answer.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
	return async function logRequest(c, next) {
		const started = Date.now();
		await next();
		const { req, res } = c;
		const status = res.status;
		if (status < 500 && c.get("config")?.requestLog === "errors") return;
		const route = routePattern(c);
		const line: RequestLogLine = {
			level: status >= 500 ? "error" : "info",
			msg: "request",
			request_id: c.get("requestId") ?? null,
			method: req.method,
			route,
			status,
			duration_ms: Date.now() - started,
			tenant: c.get("identity")?.tenant ?? null,
			image_id: imageIdFrom(route, req.path) ?? createdImageId(res),
			bytes_in: length(req.header("content-length") ?? null, req.raw.body !== null),
			bytes_out: length(res.headers.get("content-length"), res.body !== null),
		};
		const error = errorField(c, status);
		if (error) line.error = error;
		// The console method carries the level too: Workers Logs and `wrangler tail` file the line
		// under it (console.log would be "log" for every line, 5xx answers included).
		if (line.level === "error") console.error(JSON.stringify(line));
		else console.info(JSON.stringify(line));
	};
}
