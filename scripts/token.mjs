#!/usr/bin/env node
// `npm run token -- --tenant demo --roles member [--user NAME]`: mints a random token and prints
// it with the AUTH_TOKENS entry that holds only its SHA-256, so the secret itself never has to
// be stored in the configuration.

import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** @param {{tenant: string, roles: string[], user?: string}} who */
export function mintToken(who) {
	// 32 random bytes: far beyond guessing; base64url keeps it a single shell-safe word.
	const token = `ge_${randomBytes(32).toString("base64url")}`;
	const entry = {
		token_sha256: createHash("sha256").update(token).digest("hex"),
		tenant: who.tenant,
		...(who.user ? { user: who.user } : {}),
		roles: who.roles,
	};
	return { token, entry };
}

const USAGE = `Usage: npm run token -- --tenant TENANT [--roles ROLE,ROLE] [--user NAME] [--json]

Prints a new token and its AUTH_TOKENS entry ({"token_sha256", "tenant", "roles"}). Keep the
token; put the entry into the AUTH_TOKENS secret (a JSON list), e.g. with npm run deploy.
`;

function main() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				tenant: { type: "string" },
				roles: { type: "string", default: "member" },
				user: { type: "string" },
				json: { type: "boolean" },
				help: { type: "boolean", short: "h" },
			},
		}));
	} catch (err) {
		process.stderr.write(`${/** @type {Error} */ (err).message}\n${USAGE}`);
		process.exit(1);
	}
	if (values.help) {
		process.stdout.write(USAGE);
		return;
	}
	if (!values.tenant?.trim()) {
		process.stderr.write(`--tenant is required\n${USAGE}`);
		process.exit(1);
	}
	const roles = values.roles
		.split(",")
		.map((r) => r.trim())
		.filter(Boolean);
	const { token, entry } = mintToken({ tenant: values.tenant.trim(), roles, user: values.user });
	if (values.json) {
		process.stdout.write(`${JSON.stringify({ token, entry })}\n`);
		return;
	}
	process.stdout.write(
		`token:               ${token}\n` +
			`AUTH_TOKENS entry:   ${JSON.stringify(entry)}\n` +
			`AUTH_TOKENS (alone): ${JSON.stringify([entry])}\n`,
	);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
