import * as v from "valibot";
import type { Identity } from "../domain/identity";
import { misconfigured } from "../domain/refusal";

const TokenEntrySchema = v.pipe(
	v.object({
		token: v.optional(v.pipe(v.string(), v.minLength(1))),
		token_sha256: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-fA-F]{64}$/))),
		tenant: v.pipe(v.string(), v.minLength(1)),
		user: v.optional(v.string()),
		roles: v.optional(v.array(v.string()), []),
	}),
	v.check(
		(e) => (e.token === undefined) !== (e.token_sha256 === undefined),
		"each entry needs exactly one of token or token_sha256",
	),
);
const TokenListSchema = v.array(TokenEntrySchema);

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

function fromHex(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

/** AUTH_TOKENS read and hashed: what a request's token is compared with. */
export interface StaticTokenTable {
	readonly entries: readonly {
		readonly digest: Uint8Array;
		readonly identity: Identity;
	}[];
}

/**
 * Reads the AUTH_TOKENS list, validates it and hashes its plain tokens, once: the auth
 * middleware keeps the table for as long as its settings. A misconfigured list is a refusal.
 */
export async function parseStaticTokens(
	rawConfig: string | null,
	adminRole: string,
): Promise<StaticTokenTable> {
	if (!rawConfig) return { entries: [] };
	let parsed: unknown;
	try {
		parsed = JSON.parse(rawConfig);
	} catch {
		throw misconfigured("AUTH_TOKENS is not valid JSON.");
	}
	const result = v.safeParse(TokenListSchema, parsed);
	if (!result.success) {
		throw misconfigured(`AUTH_TOKENS: ${result.issues[0].message}.`);
	}
	const entries = await Promise.all(
		result.output.map(async (entry) => ({
			digest: entry.token_sha256 ? fromHex(entry.token_sha256) : await sha256(entry.token ?? ""),
			identity: {
				tenant: entry.tenant,
				user: entry.user ?? null,
				roles: entry.roles,
				isAdmin: entry.roles.some((r) => r.toLowerCase() === adminRole),
			},
		})),
	);
	return { entries };
}

/**
 * Resolves a token against the table. Every entry is compared as a SHA-256 digest with a
 * constant-time compare, so neither the length nor a prefix of a configured token can be learned
 * from response times; all entries are checked whichever matches, and the first match wins.
 */
export async function resolveStaticToken(
	table: StaticTokenTable,
	token: string,
): Promise<Identity | null> {
	if (table.entries.length === 0) return null;
	const presented = await sha256(token);
	let match: Identity | null = null;
	for (const entry of table.entries) {
		if (crypto.subtle.timingSafeEqual(presented, entry.digest) && match === null) {
			match = entry.identity;
		}
	}
	// A copy: the table's identities outlive the request.
	return match ? { ...match, roles: [...match.roles] } : null;
}
