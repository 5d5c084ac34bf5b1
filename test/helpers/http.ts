import { exports } from "cloudflare:workers";

export const TOKENS = {
	admin: "admin-token",
	owner: "owner-token",
	other: "other-token",
	sharer: "sharer-token",
	member: "member-token",
} as const;
export type Caller = keyof typeof TOKENS | "anonymous";

const BASE = "https://glance.test";

export interface ApiInit extends Omit<RequestInit, "headers"> {
	as?: Caller;
	headers?: Record<string, string>;
}

/** Calls the worker through its real fetch handler, as the given caller (default: owner). */
export function api(path: string, init: ApiInit = {}): Promise<Response> {
	const { as = "owner", headers = {}, ...rest } = init;
	const all: Record<string, string> = { ...headers };
	if (as !== "anonymous") all["x-auth-token"] = TOKENS[as];
	return exports.default.fetch(new Request(`${BASE}${path}`, { ...rest, headers: all }));
}

export function postJson(path: string, body: unknown, init: ApiInit = {}): Promise<Response> {
	return api(path, {
		method: "POST",
		...init,
		headers: { "content-type": "application/json", ...init.headers },
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
}

export interface ErrorBody {
	error: { code: number; title: string; message: string; field?: string };
}

export async function errorOf(res: Response): Promise<ErrorBody["error"]> {
	expect(res.headers.get("content-type")).toMatch(/^application\/json/);
	const body = (await res.json()) as ErrorBody;
	return body.error;
}
