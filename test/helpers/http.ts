import { exports } from "cloudflare:workers";

export const TOKENS = {
	admin: "admin-token",
	owner: "owner-token",
	other: "other-token",
	sharer: "sharer-token",
	member: "member-token",
	third: "third-token",
} as const;
export type Caller = keyof typeof TOKENS | "anonymous";

/** The origin every test request goes to; paths are relative to it. */
export const BASE = "https://glance.test";

export interface ApiInit extends Omit<RequestInit, "headers"> {
	as?: Caller;
	headers?: Record<string, string>;
}

/** `init` as a RequestInit, with the caller's token (default: owner) among its headers. */
export function asCaller(init: ApiInit = {}): RequestInit & { headers: Record<string, string> } {
	const { as = "owner", headers = {}, ...rest } = init;
	const all: Record<string, string> = { ...headers };
	if (as !== "anonymous") all["x-auth-token"] = TOKENS[as];
	return { ...rest, headers: all };
}

/** Calls the worker through its real fetch handler, as the given caller (default: owner). */
export function api(path: string, init: ApiInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(`${BASE}${path}`, asCaller(init)));
}

/** A JSON POST (`init` may change the method): the body serialised, its content type set. */
export function jsonInit(body: unknown, init: ApiInit = {}): ApiInit {
	return {
		method: "POST",
		...init,
		headers: { "content-type": "application/json", ...init.headers },
		body: typeof body === "string" ? body : JSON.stringify(body),
	};
}

export function postJson(path: string, body: unknown, init: ApiInit = {}): Promise<Response> {
	return api(path, jsonInit(body, init));
}

/**
 * Something to send requests to: the worker (`worker`, through `api`) or an app built in this
 * isolate with other vars or deps (`appWith` in ./app.ts). Helpers that make requests take one.
 */
export interface Client {
	api(path: string, init?: ApiInit): Promise<Response>;
}

export const worker: Client = { api };

export interface ErrorBody {
	error: { code: number; title: string; message: string; field?: string };
}

export async function errorOf(res: Response): Promise<ErrorBody["error"]> {
	expect(res.headers.get("content-type")).toMatch(/^application\/json/);
	const body = (await res.json()) as ErrorBody;
	return body.error;
}
