#!/usr/bin/env node
// `wrangler dev` without its inspector, for the benchmark: the same local runtime, proxy and
// simulators (wrangler's own dev API, which `wrangler dev` calls), started with the DevTools
// inspector off.
//
// Why: with the inspector on, every console.log of the worker and every D1 query becomes a
// devtools event that wrangler's inspector proxy parses, forwards to wrangler's Node process and
// appends to its debug log, whether or not a DevTools window is attached (~1–1.5 ms of CPU per
// log line, measured; the worker's own share of that line is a few microseconds). A deployed
// worker has no inspector, so a benchmark that keeps it on measures wrangler's relay rather
// than the worker. `npm run bench -- --inspector` goes back to `wrangler dev` itself.
//
//   node bench/lib/dev-worker.mjs -c CONFIG ENTRY --no-bundle [--env-file F] [--persist-to DIR]
//        [--var KEY:VALUE]... --ip HOST --port PORT [--log-level LEVEL]
//
// The options are the subset of `wrangler dev`'s that the benchmark passes, with its meanings.
// Prints nothing of its own; stops (and stops the runtime) on SIGTERM or SIGINT.

import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		config: { type: "string", short: "c" },
		"no-bundle": { type: "boolean", default: false },
		"env-file": { type: "string", multiple: true },
		"persist-to": { type: "string" },
		var: { type: "string", multiple: true, default: [] },
		ip: { type: "string", default: "127.0.0.1" },
		port: { type: "string" },
		"log-level": { type: "string", default: "error" },
	},
});
if (positionals.length !== 1 || !values.config || !values.port) {
	process.stderr.write("usage: dev-worker.mjs -c CONFIG ENTRY --port PORT [options]\n");
	process.exit(2);
}

/** `--var KEY:VALUE` as wrangler dev reads it: the first colon splits. */
const vars = Object.fromEntries(
	values.var.map((v) => {
		const at = v.indexOf(":");
		if (at < 1) throw new Error(`--var needs KEY:VALUE, got '${v}'`);
		return [v.slice(0, at), { type: "plain_text", value: v.slice(at + 1) }];
	}),
);

const worker = await unstable_startWorker({
	config: values.config,
	entrypoint: positionals[0],
	...(values["env-file"] ? { envFiles: values["env-file"] } : {}),
	build: { bundle: !values["no-bundle"] },
	bindings: vars,
	dev: {
		inspector: false,
		persist: values["persist-to"],
		server: { hostname: values.ip, port: Number(values.port) },
		logLevel: values["log-level"],
		watch: false,
		liveReload: false,
	},
});
await worker.ready;

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) {
	process.on(signal, async () => {
		if (stopping) return;
		stopping = true;
		await worker.dispose().catch(() => {});
		process.exit(0);
	});
}
