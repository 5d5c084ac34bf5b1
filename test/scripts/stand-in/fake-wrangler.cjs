// A stand-in for `wrangler` with a pretend Cloudflare account: it records every call (argv, one
// JSON line each, to $FAKE_WRANGLER_LOG) and keeps the account's queues, databases, buckets,
// workers and secrets in $FAKE_WRANGLER_STATE, answering roughly as wrangler 4.86 does.
// `deploy` prints $FAKE_WORKER_URL as the worker's URL.

const fs = require("node:fs");

const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_WRANGLER_LOG, `${JSON.stringify(args)}\n`);
const statePath = process.env.FAKE_WRANGLER_STATE;
const state = fs.existsSync(statePath)
	? JSON.parse(fs.readFileSync(statePath, "utf8"))
	: { queues: [], databases: [], buckets: [], workers: {}, loggedIn: true };
const save = () => fs.writeFileSync(statePath, JSON.stringify(state, null, 2));
const out = (text) => process.stdout.write(`${text}\n`);
const envOf = () => args[args.indexOf("--env") + 1];
const cmd = args
	.filter((a) => !a.startsWith("-"))
	.slice(0, 2)
	.join(" ");

if (args[0] === "whoami") {
	if (!state.loggedIn) {
		process.stderr.write("You are not authenticated. Please run `wrangler login`.\n");
		process.exit(1);
	}
	out(JSON.stringify({ loggedIn: true, email: "dev@example.invalid", accounts: [] }));
} else if (cmd === "queues list") {
	out("┌──────┬──────┐\n│ id │ name │");
	for (const q of state.queues) out(`│ ${q.length} │ ${q} │`);
} else if (cmd === "queues create") {
	state.queues.push(args[2]);
	out(`Created queue ${args[2]}.`);
} else if (cmd === "d1 list") {
	out(JSON.stringify(state.databases));
} else if (cmd === "d1 create") {
	const uuid = `0000000${state.databases.length + 1}-1111-2222-3333-444444444444`;
	state.databases.push({ uuid, name: args[2] });
	out(`✅ Successfully created DB '${args[2]}'`);
} else if (args[0] === "r2" && args[2] === "list") {
	for (const b of state.buckets)
		out(`name:           ${b}\ncreation_date:  2026-01-01T00:00:00.000Z\n`);
} else if (args[0] === "r2" && args[2] === "create") {
	state.buckets.push(args[3]);
	out(`Created bucket '${args[3]}'`);
} else if (cmd === "d1 migrations") {
	out("✅ No migrations to apply!");
} else if (cmd === "secret list") {
	const worker = state.workers[envOf()];
	if (!worker) {
		process.stderr.write("✘ [ERROR] This Worker does not exist on your account. [code: 10007]\n");
		process.exit(1);
	}
	out(JSON.stringify(Object.keys(worker.secrets).map((name) => ({ name, type: "secret_text" }))));
} else if (args[0] === "deploy") {
	state.workers[envOf()] ??= { secrets: {} };
	const worker = state.workers[envOf()];
	const file = args.includes("--secrets-file") ? args[args.indexOf("--secrets-file") + 1] : null;
	if (file) Object.assign(worker.secrets, JSON.parse(fs.readFileSync(file, "utf8")));
	out(
		`Uploaded glance-edge-${envOf()} (1.00 sec)\nDeployed glance-edge-${envOf()} triggers (0.50 sec)`,
	);
	out(`  ${process.env.FAKE_WORKER_URL}\n  schedule: */15 * * * *\nCurrent Version ID: 1`);
} else {
	process.stderr.write(`stand-in wrangler: unexpected call ${args.join(" ")}\n`);
	process.exit(2);
}
save();
