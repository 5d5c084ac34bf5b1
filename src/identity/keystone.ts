import * as v from "valibot";
import type { Identity } from "../domain/identity";
import { Refusal } from "../domain/refusal";
import { toHex } from "../lib/hex";

/** The parts of Keystone v3's `GET /v3/auth/tokens` answer we use. */
const TokenBodySchema = v.object({
	token: v.object({
		expires_at: v.string(),
		project: v.optional(v.object({ id: v.string() })),
		user: v.optional(v.object({ id: v.string() })),
		roles: v.optional(v.array(v.object({ name: v.string() })), []),
	}),
});

export interface KeystoneOptions {
	url: string;
	/** A token allowed to validate other tokens (X-Auth-Token of the validation call). */
	serviceToken: string;
	adminRole: string;
	cacheSeconds: number;
	/** How to reach Keystone: a service binding, or the global fetch. */
	fetcher: (input: string, init: RequestInit) => Promise<Response>;
	/** Where validations are cached (the Workers Cache API); null disables caching. */
	cache: Cache | null;
}

/** A cached identity, with when the token itself expires. */
interface CachedIdentity extends Identity {
	expiresAt: number;
}

// The request log records a 5xx once, with its cause.
const unavailable = (detail: string, cause?: unknown) =>
	new Refusal(
		"unavailable",
		`The identity service (Keystone) is unavailable: ${detail}. Try again later.`,
		{
			cause,
		},
	);

async function cacheKey(token: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
	const hex = toHex(digest);
	// Keyed by the token's digest: the cache never holds a token.
	return `https://keystone-cache.glance-edge.invalid/v3/auth/tokens/${hex}`;
}

/**
 * Validates a token with Keystone v3 (design.md §6): its project becomes the tenant, its roles
 * the roles. A valid answer is cached until the token expires, capped at `cacheSeconds` so a
 * revoked token stops working soon. Unknown or expired token → null (401); Keystone down or
 * refusing our service token → 503, never a silent pass.
 */
export async function resolveKeystoneToken(
	token: string,
	options: KeystoneOptions,
	now: number = Date.now(),
): Promise<Identity | null> {
	const key = await cacheKey(token);
	const hit = await options.cache?.match(key);
	if (hit) {
		const cached = (await hit.json()) as CachedIdentity;
		if (cached.expiresAt > now) return withoutExpiry(cached);
	}

	let res: Response;
	try {
		res = await options.fetcher(`${options.url}/v3/auth/tokens`, {
			method: "GET",
			headers: {
				"X-Auth-Token": options.serviceToken,
				"X-Subject-Token": token,
				Accept: "application/json",
			},
		});
	} catch (err) {
		throw unavailable("it could not be reached", err);
	}
	if (res.status === 404) return null; // Keystone's answer for an unknown, expired or revoked token
	if (res.status === 401 || res.status === 403) {
		throw unavailable(
			"it refused this service's credentials",
			new Error(`Keystone answered ${res.status}`),
		);
	}
	if (!res.ok) throw unavailable(`it answered ${res.status}`);

	const parsed = v.safeParse(TokenBodySchema, await res.json().catch(() => null));
	if (!parsed.success) throw unavailable("its answer was not a v3 token");
	const body = parsed.output.token;
	const expiresAt = Date.parse(body.expires_at);
	if (!Number.isFinite(expiresAt) || expiresAt <= now) return null;
	const roles = body.roles.map((r) => r.name);
	const identity: CachedIdentity = {
		tenant: body.project?.id ?? null,
		user: body.user?.id ?? null,
		roles,
		isAdmin: roles.some((r) => r.toLowerCase() === options.adminRole),
		expiresAt,
	};
	const ttl = Math.min(Math.floor((expiresAt - now) / 1000), options.cacheSeconds);
	if (options.cache && ttl > 0) {
		await options.cache.put(
			key,
			new Response(JSON.stringify(identity), {
				headers: { "Content-Type": "application/json", "Cache-Control": `max-age=${ttl}` },
			}),
		);
	}
	return withoutExpiry(identity);
}

function withoutExpiry({ expiresAt: _expiresAt, ...identity }: CachedIdentity): Identity {
	return identity;
}
