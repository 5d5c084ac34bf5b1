#!/usr/bin/env node
// `npm start` and `npm run dev`: applies the D1 migrations to the local state, then runs
// `wrangler dev` with the development tokens. Without the migrations a fresh clone answers every
// call with a 500 (no tables). The port comes from `--port N` (after `npm start --`), else PORT,
// else 8787; wrangler refuses a --port given twice, so ours is only added when none was given.
// Other arguments go to `wrangler dev` as they are.

import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { copyDocsAssets } from "./docs-assets.mjs";

/**
 * The arguments of the migrations step and of `wrangler dev`, from ours and the environment.
 * @param {string[]} args
 * @param {Record<string, string | undefined>} env
 */
export function devCommands(args, env) {
	const given = (/** @type {string} */ flag) =>
		args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
	const port = env.PORT?.trim();
	if (port && !/^\d+$/.test(port)) throw new Error(`PORT must be a port number, not "${port}"`);

	const migrate = ["d1", "migrations", "apply", "DB", "--local"];
	// The migrations must land in the state wrangler dev will read.
	const persist = given("--persist-to");
	if (persist >= 0) {
		const arg = args[persist];
		migrate.push(
			"--persist-to",
			arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[persist + 1],
		);
	}
	const dev = ["dev"];
	if (given("--ip") < 0) dev.push("--ip", "127.0.0.1");
	if (given("--port") < 0) dev.push("--port", port || "8787");
	if (given("--env-file") < 0) dev.push("--env-file", "dev.env");
	dev.push(...args);
	return { migrate, dev };
}

function main() {
	const root = fileURLToPath(new URL("..", import.meta.url));
	const wrangler = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
	const env = {
		...process.env,
		WRANGLER_SEND_METRICS: "false",
		CLOUDFLARE_CF_FETCH_ENABLED: "false",
		WRANGLER_HIDE_BANNER: "true",
	};
	let commands;
	try {
		commands = devCommands(process.argv.slice(2), process.env);
	} catch (err) {
		process.stderr.write(`${/** @type {Error} */ (err).message}\n`);
		process.exit(1);
	}
	copyDocsAssets();
	const migrated = spawnSync(process.execPath, [wrangler, ...commands.migrate], {
		cwd: root,
		env,
		stdio: "inherit",
	});
	if (migrated.status !== 0) process.exit(migrated.status ?? 1);
	const child = spawn(process.execPath, [wrangler, ...commands.dev], {
		cwd: root,
		env,
		stdio: "inherit",
	});
	// A terminal's Ctrl-C reaches wrangler too; a signal sent to this process alone must as well.
	for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
		process.on(signal, () => child.kill(signal));
	}
	child.on("exit", (code, signal) => process.exit(code ?? (signal ? 130 : 0)));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
