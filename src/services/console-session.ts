import * as v from "valibot";
import type { Config } from "../config";
import type { Identity } from "../domain/identity";
import { invalid, misconfigured, Refusal } from "../domain/refusal";

/** What the console keeps after signing in; the password is never part of it. */
export interface ConsoleSession {
	token: string | null;
	expires_at: string | null;
	tenant: string | null;
	user: string | null;
	roles: string[];
	is_admin: boolean;
}

export interface PasswordSignIn {
	username: string;
	password: string;
	project: string;
	domain: string;
}

const IssuedTokenSchema = v.object({
	token: v.object({
		expires_at: v.string(),
		project: v.optional(v.object({ id: v.string() })),
		user: v.optional(v.object({ id: v.string(), name: v.optional(v.string()) })),
		roles: v.optional(v.array(v.object({ name: v.string() })), []),
	}),
});

type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

const keystoneDown = (detail: string, cause?: unknown) =>
	new Refusal(
		"unavailable",
		`The identity service (Keystone) is unavailable: ${detail}. Try again later.`,
		{ cause },
	);

/** The signed-in caller as the console shows it (who am I, may I administer). */
export function describeIdentity(identity: Identity): ConsoleSession {
	return {
		token: null,
		expires_at: null,
		tenant: identity.tenant,
		user: identity.user,
		roles: [...identity.roles],
		is_admin: identity.isAdmin,
	};
}

/**
 * Exchanges a Keystone user name, password and project for a project-scoped token (Keystone v3
 * password authentication), so a browser can sign in without a token in hand. The password is
 * passed on once and kept nowhere.
 */
export async function signInWithPassword(
	deps: { config: Config; fetcher: Fetcher },
	credentials: PasswordSignIn,
): Promise<ConsoleSession> {
	const { config } = deps;
	if (!config.keystoneUrl) {
		throw new Refusal(
			"not_implemented",
			"Signing in with a user name and password needs Keystone, which this server does not use: sign in with a token.",
		);
	}
	if (!credentials.username || !credentials.password || !credentials.project) {
		throw invalid("A user name, a password and a project are all needed to sign in.");
	}
	const domain = { name: credentials.domain || "Default" };
	const body = {
		auth: {
			identity: {
				methods: ["password"],
				password: {
					user: { name: credentials.username, domain, password: credentials.password },
				},
			},
			scope: { project: { name: credentials.project, domain } },
		},
	};
	let res: Response;
	try {
		res = await deps.fetcher(`${config.keystoneUrl}/v3/auth/tokens`, {
			method: "POST",
			headers: { "Content-Type": "application/json", Accept: "application/json" },
			body: JSON.stringify(body),
		});
	} catch (err) {
		throw keystoneDown("it could not be reached", err);
	}
	// Keystone answers 401 for a wrong user name, password or project alike; so do we.
	if (res.status === 401 || res.status === 403 || res.status === 404) {
		await res.body?.cancel();
		throw new Refusal(
			"unauthenticated",
			"The user name, password or project is not right (Keystone refused them).",
		);
	}
	if (res.status === 400) {
		await res.body?.cancel();
		throw invalid("Keystone could not read this sign-in request.");
	}
	if (!res.ok) {
		await res.body?.cancel();
		throw keystoneDown(`it answered ${res.status}`);
	}
	const token = res.headers.get("x-subject-token");
	if (!token) throw misconfigured("Keystone issued no X-Subject-Token.");
	const parsed = v.safeParse(IssuedTokenSchema, await res.json().catch(() => null));
	if (!parsed.success) throw keystoneDown("its answer was not a v3 token");
	const issued = parsed.output.token;
	const roles = issued.roles.map((r) => r.name);
	return {
		token,
		expires_at: issued.expires_at,
		tenant: issued.project?.id ?? null,
		user: issued.user?.id ?? null,
		roles,
		is_admin: roles.some((r) => r.toLowerCase() === config.adminRole),
	};
}
