#!/usr/bin/env node
// From a Cloudflare account to a running registry (docs/deploy.md):
//
//   npm run setup:cloudflare [-- --env staging]   queues, D1, R2, remote migrations
//   npm run deploy [-- --env staging]             the same (each step is skipped when done),
//                                                 secrets, deploy, /healthz, usage snippets
//   npm run db:migrate:remote [-- --env staging]  only the remote migrations
//
// Every step asks Cloudflare (through `wrangler` on PATH; npm puts the project's pinned one
// there) before creating anything, so running it twice changes nothing the second time.
// wrangler ≥ 4.45 would provision D1 and R2 on the first deploy by itself, but the remote
// migrations need the database's id in wrangler.toml before the worker serves traffic, and
// Queues are never provisioned: so this script creates them first and writes the id in.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { copyDocsAssets } from "./docs-assets.mjs";
import { mintToken } from "./token.mjs";

const ENVIRONMENTS = ["staging", "production"];
const HEALTH_TIMEOUT_MS = Number(process.env.GLANCE_EDGE_HEALTH_TIMEOUT_MS) || 90_000;

class Failure extends Error {}

const say = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);

/**
 * The settings of one environment from wrangler.toml: the few keys this script needs, read
 * from the file's own layout (`[env.X]`, `[[env.X.d1_databases]]`, `key = "value"` lines).
 * @param {string} text
 * @param {string} env
 */
export function environmentConfig(text, env) {
	/** @type {Record<string, Record<string, string>>} */
	const sections = {};
	let current = "";
	for (const line of text.split(/\r?\n/)) {
		const header = line.match(/^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*$/);
		if (header) {
			current = header[1];
			sections[current] ??= {};
			continue;
		}
		const pair = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"/);
		if (pair && current) sections[current][pair[1]] = pair[2];
	}
	const of = (/** @type {string} */ name) => sections[`env.${env}.${name}`] ?? {};
	const config = {
		name: sections[`env.${env}`]?.name,
		database: of("d1_databases").database_name,
		databaseId: of("d1_databases").database_id,
		bucket: of("r2_buckets").bucket_name,
		queue: of("queues.producers").queue,
		deadLetterQueue: of("queues.consumers").dead_letter_queue,
		publicEndpoint: of("vars").PUBLIC_ENDPOINT,
	};
	for (const [key, value] of Object.entries(config)) {
		if (!value && !["databaseId", "deadLetterQueue", "publicEndpoint"].includes(key)) {
			throw new Failure(`wrangler.toml: [env.${env}] has no ${key}`);
		}
	}
	return /** @type {{name: string, database: string, databaseId?: string, bucket: string, queue: string, deadLetterQueue?: string, publicEndpoint?: string}} */ (
		config
	);
}

/**
 * wrangler.toml with `database_id` set in the environment's D1 block: added after
 * `database_name`, or replaced. Only that line changes; comments and layout stay.
 * @param {string} text
 * @param {string} env
 * @param {string} id
 */
export function withDatabaseId(text, env, id) {
	const lines = text.split("\n");
	const start = lines.findIndex((l) => l.trim() === `[[env.${env}.d1_databases]]`);
	if (start < 0) throw new Failure(`wrangler.toml has no [[env.${env}.d1_databases]]`);
	let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
	if (end < 0) end = lines.length;
	const idLine = `database_id = "${id}"`;
	const existing = lines.findIndex((l, i) => i > start && i < end && /^\s*database_id\s*=/.test(l));
	if (existing >= 0) lines[existing] = idLine;
	else {
		const name = lines.findIndex((l, i) => i > start && i < end && /^\s*database_name\s*=/.test(l));
		lines.splice(name + 1, 0, idLine);
	}
	return lines.join("\n");
}

/** Whether a name stands alone in wrangler's table or list output (not as a prefix). */
export function listed(/** @type {string} */ output, /** @type {string} */ name) {
	const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
	return new RegExp(`(^|[\\s│|:])${escaped}($|[\\s│|])`, "m").test(output);
}

/**
 * Runs `wrangler` from PATH. `show`: let its output through (deploy, migrations).
 * @param {string[]} args
 * @param {{show?: boolean, allowFailure?: boolean}} [options]
 */
function wrangler(args, { show = false, allowFailure = false } = {}) {
	if (show) say(`$ wrangler ${args.join(" ")}`);
	const result = spawnSync("wrangler", args, {
		encoding: "utf8",
		env: {
			...process.env,
			WRANGLER_SEND_METRICS: "false",
			WRANGLER_HIDE_BANNER: "true",
		},
		stdio: ["inherit", "pipe", "pipe"],
		maxBuffer: 64 * 1024 * 1024,
	});
	if (result.error) {
		throw new Failure(
			`cannot run wrangler (${result.error.message}): run this through npm (npm run deploy), which puts the project's wrangler on PATH`,
		);
	}
	if (show) process.stderr.write(result.stdout + result.stderr);
	if (result.status !== 0 && !allowFailure) {
		if (!show) process.stderr.write(result.stdout + result.stderr);
		throw new Failure(`wrangler ${args.join(" ")} failed (exit ${result.status})`);
	}
	return { ok: result.status === 0, out: result.stdout, err: result.stderr };
}

function checkLogin() {
	const who = wrangler(["whoami", "--json"], { allowFailure: true });
	if (!who.ok) {
		throw new Failure(
			"not logged in to Cloudflare: run `npx wrangler login` first (or set CLOUDFLARE_API_TOKEN " +
				"and CLOUDFLARE_ACCOUNT_ID). The account needs the Workers Paid plan: Queues and " +
				"[limits] cpu_ms = 300000 are not available on the Free plan.",
		);
	}
}

/** Creates what is missing; returns what it created, for the summary. */
function ensureResources(/** @type {string} */ env, /** @type {string} */ configPath) {
	const text = fs.readFileSync(configPath, "utf8");
	const config = environmentConfig(text, env);
	/** @type {string[]} */
	const created = [];

	const queues = wrangler(["queues", "list"]).out;
	for (const queue of [config.deadLetterQueue, config.queue]) {
		if (!queue || listed(queues, queue)) continue;
		wrangler(["queues", "create", queue], { show: true });
		created.push(`queue ${queue}`);
	}

	const findDatabase = () => {
		/** @type {{name: string, uuid: string}[]} */
		const all = JSON.parse(wrangler(["d1", "list", "--json"]).out || "[]");
		return all.find((db) => db.name === config.database);
	};
	let database = findDatabase();
	if (!database) {
		wrangler(["d1", "create", config.database], { show: true });
		created.push(`D1 database ${config.database}`);
		database = findDatabase();
		if (!database) throw new Failure(`D1 database ${config.database} not found after creating it`);
	}
	if (config.databaseId !== database.uuid) {
		fs.writeFileSync(configPath, withDatabaseId(text, env, database.uuid));
		say(`wrangler.toml: [env.${env}] database_id = "${database.uuid}" (commit it)`);
	}

	const buckets = wrangler(["r2", "bucket", "list"]).out;
	if (!listed(buckets, config.bucket)) {
		wrangler(["r2", "bucket", "create", config.bucket], { show: true });
		created.push(`R2 bucket ${config.bucket}`);
	}
	return { config, created };
}

function migrate(/** @type {string} */ env) {
	wrangler(["d1", "migrations", "apply", "DB", "--remote", "--env", env], { show: true });
}

/**
 * The secrets to send with the deploy, or null when the worker has them already. A file wins;
 * otherwise AUTH_TOKENS is asked for on a terminal, or minted (one admin token) in a pipeline.
 * @param {string} env
 * @param {string | undefined} file
 */
async function secretsToSet(env, file) {
	if (file) {
		const text = fs.readFileSync(file, "utf8");
		return { secrets: text, token: undefined };
	}
	const list = wrangler(["secret", "list", "--env", env, "--format", "json"], {
		allowFailure: true,
	});
	/** @type {{name: string}[]} */
	let present = [];
	if (list.ok) {
		try {
			present = JSON.parse(list.out);
		} catch {}
	}
	if (present.some((s) => s.name === "AUTH_TOKENS")) return null;

	let authTokens = "";
	if (process.stdin.isTTY) {
		const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
		authTokens = (
			await rl.question(
				"AUTH_TOKENS is not set. Paste its JSON list (npm run token prints entries),\n" +
					"or press Enter to mint one admin token: ",
			)
		).trim();
		rl.close();
	}
	let token;
	if (!authTokens) {
		const minted = mintToken({ tenant: "admin", user: "admin", roles: ["admin"] });
		token = minted.token;
		authTokens = JSON.stringify([minted.entry]);
		say("AUTH_TOKENS: minted one admin token (tenant admin); only its SHA-256 is stored");
	} else {
		try {
			if (!Array.isArray(JSON.parse(authTokens))) throw new Error("not a list");
		} catch (err) {
			throw new Failure(`AUTH_TOKENS must be a JSON list: ${/** @type {Error} */ (err).message}`);
		}
	}
	return { secrets: JSON.stringify({ AUTH_TOKENS: authTokens }), token };
}

/** The worker's URL in `wrangler deploy` output ("  https://name.account.workers.dev"). */
export function deployedUrl(/** @type {string} */ output) {
	for (const line of output.split(/\r?\n/)) {
		const m = line.match(/^\s*(https?:\/\/[^\s/]+)\/?\s*$/);
		if (m) return m[1];
	}
	return undefined;
}

async function checkHealth(/** @type {string} */ url) {
	const deadline = Date.now() + HEALTH_TIMEOUT_MS;
	let last = "";
	// A new workers.dev name can take a little while to resolve everywhere.
	while (Date.now() < deadline) {
		try {
			const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
			const body = await res.text();
			if (res.status === 200) return body;
			last = `HTTP ${res.status}: ${body.slice(0, 300)}`;
		} catch (err) {
			const e = /** @type {Error & {cause?: {code?: string}}} */ (err);
			last = e.cause?.code ?? e.message;
		}
		await sleep(3000);
	}
	throw new Failure(
		`${url}/healthz did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (${last})`,
	);
}

/** @param {string} url @param {string | undefined} token */
function snippets(url, token) {
	const t = token ?? "<your token>";
	return `
glance-edge is running at ${url}
${token ? `\nAdmin token (shown once, keep it):\n  ${token}\n` : ""}
python-glanceclient:
  export OS_IMAGE_API_VERSION=1 OS_IMAGE_URL=${url} OS_AUTH_TOKEN=${t}
  glance image-list

openstack:
  openstack --os-auth-type admin_token --os-endpoint ${url}/v1 --os-token ${t} \\
    --os-image-api-version 1 image list

glance-edge CLI:
  export OS_IMAGE_URL=${url} OS_AUTH_TOKEN=${t}
  glance-edge upload cirros.qcow2 --name cirros --disk-format qcow2 --container-format bare
  glance-edge list
`;
}

const USAGE = `Usage: node scripts/cloudflare.mjs setup|deploy|migrate [--env staging|production]
       [--secrets-file FILE] [--url URL]

  setup    create the Queue and its dead-letter queue, the D1 database and the R2 bucket of
           the environment when missing, write the database id into wrangler.toml, apply the
           remote migrations
  deploy   setup, then set the secrets when the worker has none (from --secrets-file, a JSON
           object like {"AUTH_TOKENS": "[...]"}; else asked for, or one admin token minted),
           deploy, check GET /healthz and print how to use it
  migrate  apply the remote D1 migrations only

  --env          the wrangler.toml environment (default production)
  --url          the URL to check and print (default PUBLIC_ENDPOINT, else the workers.dev URL)
`;

async function main() {
	const { values, positionals } = parseArgs({
		allowPositionals: true,
		options: {
			env: { type: "string", short: "e", default: "production" },
			"secrets-file": { type: "string" },
			url: { type: "string" },
			help: { type: "boolean", short: "h" },
		},
	});
	const command = positionals[0];
	if (values.help || !command || !["setup", "deploy", "migrate"].includes(command)) {
		process.stdout.write(USAGE);
		return values.help ? 0 : 1;
	}
	const env = values.env;
	if (!ENVIRONMENTS.includes(env)) {
		throw new Failure(`--env must be one of ${ENVIRONMENTS.join(", ")}, not "${env}"`);
	}
	const configPath = path.resolve("wrangler.toml");
	if (!fs.existsSync(configPath)) throw new Failure(`no wrangler.toml in ${process.cwd()}`);

	checkLogin();
	if (command === "migrate") {
		migrate(env);
		return 0;
	}
	const { config, created } = ensureResources(env, configPath);
	say(created.length ? `created: ${created.join(", ")}` : "queues, D1 and R2: already there");
	migrate(env);
	if (command === "setup") {
		say(
			`setup of ${env} done; next: npm run deploy${env === "production" ? "" : ` -- --env ${env}`}`,
		);
		return 0;
	}

	copyDocsAssets();
	const secrets = await secretsToSet(env, values["secrets-file"]);
	const deployArgs = ["deploy", "--env", env];
	let secretsFile;
	if (secrets) {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-secrets-"));
		secretsFile = path.join(dir, "secrets.json");
		fs.writeFileSync(secretsFile, secrets.secrets, { mode: 0o600 });
		deployArgs.push("--secrets-file", secretsFile);
	}
	let output;
	try {
		output = wrangler(deployArgs, { show: true });
	} finally {
		if (secretsFile) fs.rmSync(path.dirname(secretsFile), { recursive: true, force: true });
	}
	const url = (
		values.url ??
		config.publicEndpoint ??
		deployedUrl(output.out + output.err)
	)?.replace(/\/+$/, "");
	if (!url) throw new Failure("deployed, but no URL in wrangler's output: give --url to check it");
	say(`checking ${url}/healthz ...`);
	say(await checkHealth(url));
	process.stdout.write(snippets(url, secrets?.token));
	return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	main().then(
		(code) => process.exit(code),
		(err) => {
			say(`glance-edge deploy: ${err instanceof Failure ? err.message : (err.stack ?? err)}`);
			process.exit(1);
		},
	);
}
