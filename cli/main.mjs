// @ts-check
// Command line parsing, dispatch and exit codes of `glance-edge`.

import fs from "node:fs";
import { parseArgs } from "node:util";
import { download } from "./download.mjs";
import { asError, CliError, EXIT, oneLine, refused, usageError } from "./errors.mjs";
import { Client, drain, normalizeEndpoint } from "./http.mjs";
import { createUi } from "./ui.mjs";
import { upload } from "./upload.mjs";

/** @typedef {import("./ui.mjs").TextStream} TextStream */

export const HELP = `Usage:
  glance-edge upload <file> --name NAME --disk-format FORMAT --container-format FORMAT [options]
  glance-edge download <image-id> <file> [options]
  glance-edge abort <image-id> [options]

Moves VM images to and from a glance-edge server (OpenStack Image API v1) in parts, with
progress, retries, resume and checksum verification.

  upload     Hashes <file> (MD5, SHA-512), registers an image, uploads the file in parts through
             an upload session, waits until the server has verified it and checks its checksums.
             Interrupted? Run the same command again: it resumes, sending only the parts the
             server does not have (state is kept in <file>.glance-edge.json until success).
  download   Saves the image to <file> through <file>.part, which a re-run resumes with a Range
             request; checks MD5 and SHA-512 before renaming it to <file>.
  abort      Discards the open upload session of a queued image and the parts it holds.

Options:
  --url URL                  server endpoint, e.g. https://images.example.com  [env OS_IMAGE_URL]
  --token TOKEN              token sent as X-Auth-Token                        [env OS_AUTH_TOKEN]
  --retries N                retries of a request after 5xx, 429, 408 or network errors, with
                             exponential backoff (default 4)
  -q, --quiet                print nothing on stderr but errors
  --json                     print the final image as JSON on stdout
  -h, --help                 print this help

Upload options:
  --name NAME                image name (required unless --id)
  --disk-format FORMAT       raw, qcow2, vmdk, vhd, vhdx, vdi, iso, ... (required unless --id)
  --container-format FORMAT  bare, ovf, ova, ... (required unless --id)
  --property KEY=VALUE       image property (repeatable)
  --public                   make the image public
  --min-disk GB              minimum disk size to boot the image
  --min-ram MB               minimum RAM to boot the image
  --id IMAGE_ID              upload into this queued image instead of registering a new one
  --parallel N               parts uploaded at the same time (default 4, at most 32)
  --verify-timeout SECONDS   how long to wait for the server's verification (default 3600)

Output: upload prints the image id on stdout (the image as JSON with --json). Progress goes to
stderr: a bar (bytes, MB/s, ETA) on a terminal, a line every 10 s otherwise, none with --quiet.

Exit status:
  0    success
  1    usage error, or a local file problem (unreadable, changed during upload, not writable)
  2    the server refused a request (HTTP 4xx); its message is printed
  3    verification failed: the server killed the image (the reason is printed), or a checksum
       or size does not match
  4    network or server failure after retries (HTTP 5xx, unreachable, timed out)
  130  interrupted; run the same command again to resume
`;

const COMMON = [
	"url",
	"os-image-url",
	"token",
	"os-auth-token",
	"retries",
	"quiet",
	"json",
	"help",
];
/** @typedef {"upload" | "download" | "abort"} Command */

/** @type {Record<Command, {positionals: string[], options: string[]}>} */
const COMMANDS = {
	upload: {
		positionals: ["file"],
		options: [
			...COMMON,
			"name",
			"disk-format",
			"container-format",
			"property",
			"public",
			"min-disk",
			"min-ram",
			"id",
			"parallel",
			"verify-timeout",
		],
	},
	download: { positionals: ["image-id", "file"], options: COMMON },
	abort: { positionals: ["image-id"], options: COMMON },
};

/** @satisfies {NonNullable<import("node:util").ParseArgsConfig["options"]>} */
const OPTIONS = {
	url: { type: "string" },
	"os-image-url": { type: "string" },
	token: { type: "string" },
	"os-auth-token": { type: "string" },
	retries: { type: "string" },
	quiet: { type: "boolean", short: "q" },
	json: { type: "boolean" },
	help: { type: "boolean", short: "h" },
	name: { type: "string" },
	"disk-format": { type: "string" },
	"container-format": { type: "string" },
	property: { type: "string", multiple: true },
	public: { type: "boolean" },
	"min-disk": { type: "string" },
	"min-ram": { type: "string" },
	id: { type: "string" },
	parallel: { type: "string" },
	"verify-timeout": { type: "string" },
};

/**
 * @param {string | undefined} value
 * @param {string} option
 * @param {{min: number, max: number}} range
 */
function integer(value, option, { min, max }) {
	if (value === undefined) return undefined;
	if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
		throw usageError(`--${option} must be a whole number from ${min} to ${max}, not "${value}"`);
	}
	return Number(value);
}

function packageVersion() {
	try {
		const url = new URL("../package.json", import.meta.url);
		return JSON.parse(fs.readFileSync(url, "utf8")).version ?? "0";
	} catch {
		return "0";
	}
}

/**
 * @typedef {object} CommonOptions
 * @property {string} url
 * @property {string} token
 * @property {number} retries
 * @property {boolean} quiet
 * @property {boolean} json
 */

/**
 * @typedef {{help: true}
 *   | {command: "upload", options: CommonOptions & import("./upload.mjs").UploadOptions}
 *   | {command: "download", options: CommonOptions & import("./download.mjs").DownloadOptions}
 *   | {command: "abort", options: CommonOptions & {id: string}}} CommandLine
 */

/** @returns {name is Command} */
const isCommand = (/** @type {string} */ name) => Object.hasOwn(COMMANDS, name);

/**
 * Parses argv (without node and the script) into {help} or {command, options}.
 * Throws a USAGE CliError for anything wrong.
 * @param {string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {CommandLine}
 */
export function parseCommandLine(argv, env) {
	let parsed;
	try {
		parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
	} catch (err) {
		throw usageError(asError(err).message.replace(/\. To specify a positional argument.*$/, ""));
	}
	const { values, positionals } = parsed;
	if (values.help || positionals[0] === "help") return { help: true };
	if (positionals.length === 0) throw usageError("no command given (upload, download or abort)");
	const command = positionals[0];
	if (!isCommand(command)) {
		throw usageError(`unknown command "${command}" (upload, download or abort)`);
	}
	const spec = COMMANDS[command];
	for (const name of Object.keys(values)) {
		if (!spec.options.includes(name)) {
			throw usageError(`--${name} is not an option of ${command}`);
		}
	}
	const args = positionals.slice(1);
	if (args.length !== spec.positionals.length) {
		throw usageError(
			`${command} takes ${spec.positionals.map((p) => `<${p}>`).join(" ")}` +
				(args.length > spec.positionals.length
					? `; unexpected "${args[spec.positionals.length]}"`
					: ""),
		);
	}
	for (const [i, arg] of args.entries()) {
		if (arg === "") throw usageError(`<${spec.positionals[i]}> must not be empty`);
	}

	const rawUrl = values.url ?? values["os-image-url"] ?? env.OS_IMAGE_URL;
	if (!rawUrl) throw usageError("no server URL: give --url or set OS_IMAGE_URL");
	const url = normalizeEndpoint(rawUrl);
	if (!url) throw usageError(`--url must be an http or https URL, not "${rawUrl}"`);
	const token = values.token ?? values["os-auth-token"] ?? env.OS_AUTH_TOKEN;
	if (!token) throw usageError("no token: give --token or set OS_AUTH_TOKEN");
	if (/[\r\n]/.test(token)) throw usageError("the token must be one line");

	/** @type {CommonOptions} */
	const common = {
		url,
		token,
		retries: integer(values.retries, "retries", { min: 0, max: 20 }) ?? 4,
		quiet: Boolean(values.quiet),
		json: Boolean(values.json),
	};
	if (command === "download")
		return { command, options: { ...common, id: args[0], file: args[1] } };
	if (command === "abort") return { command, options: { ...common, id: args[0] } };

	const id = values.id;
	if (id !== undefined && id.trim() === "") throw usageError("--id must not be empty");
	if (!id) {
		for (const required of /** @type {const} */ (["name", "disk-format", "container-format"])) {
			if (!values[required])
				throw usageError(`upload needs --${required} (or --id of a queued image)`);
		}
	}
	/** @type {Record<string, string>} */
	const properties = {};
	for (const pair of values.property ?? []) {
		const eq = pair.indexOf("=");
		if (eq <= 0) throw usageError(`--property must be KEY=VALUE, not "${pair}"`);
		properties[pair.slice(0, eq)] = pair.slice(eq + 1);
	}
	const verifyTimeout = integer(values["verify-timeout"], "verify-timeout", {
		min: 1,
		max: 7 * 86400,
	});
	return {
		command,
		options: {
			...common,
			file: args[0],
			id,
			name: values.name,
			diskFormat: values["disk-format"],
			containerFormat: values["container-format"],
			properties,
			isPublic: Boolean(values.public),
			minDisk: integer(values["min-disk"], "min-disk", { min: 0, max: 2 ** 31 - 1 }),
			minRam: integer(values["min-ram"], "min-ram", { min: 0, max: 2 ** 31 - 1 }),
			parallel: integer(values.parallel, "parallel", { min: 1, max: 32 }) ?? 4,
			verifyTimeoutMs: (verifyTimeout ?? 3600) * 1000,
		},
	};
}

/**
 * @param {{id: string}} opts
 * @param {import("./http.mjs").Context} ctx
 */
async function abort(opts, { client, ui }) {
	const what = `discarding the upload session of image ${opts.id}`;
	const res = await client.call(
		"DELETE",
		`/v1/images/${encodeURIComponent(opts.id)}/upload-session`,
		{ what },
	);
	if (res.status === 404) {
		await drain(res);
		throw refused(`image ${opts.id} has no open upload session`);
	}
	if (!res.ok) throw await client.failure(what, res);
	await drain(res);
	ui.note(`upload session of image ${opts.id} discarded`);
}

const toJson = (/** @type {unknown} */ value) => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Runs the CLI. Returns the exit code; writes results to `stdout` and messages to `stderr`.
 * @param {string[]} argv
 * @param {{env?: NodeJS.ProcessEnv, stdout?: TextStream, stderr?: TextStream}} [io]
 */
export async function main(argv, io = {}) {
	const env = io.env ?? process.env;
	const stdout = io.stdout ?? process.stdout;
	const stderr = io.stderr ?? process.stderr;
	let parsed;
	try {
		parsed = parseCommandLine(argv, env);
	} catch (err) {
		const message = oneLine(asError(err).message);
		stderr.write(`glance-edge: error: ${message}\nRun "glance-edge --help" for usage.\n`);
		return EXIT.USAGE;
	}
	if ("help" in parsed) {
		stdout.write(HELP);
		return EXIT.OK;
	}
	const { command, options } = parsed;
	const ui = createUi({ stream: stderr, quiet: options.quiet });
	const client = new Client({
		url: options.url,
		token: options.token,
		retries: options.retries,
		ui,
		userAgent: `glance-edge-cli/${packageVersion()} node/${process.versions.node}`,
	});
	const ctx = { client, ui };

	const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
		ui.clear();
		const hint = command === "abort" ? "" : "; run the same command again to resume";
		stderr.write(`glance-edge: interrupted (${signal})${hint}\n`);
		process.exit(signal === "SIGINT" ? EXIT.INTERRUPTED : 128 + 15);
	};
	process.once("SIGINT", onSignal);
	process.once("SIGTERM", onSignal);
	try {
		if (command === "upload") {
			const image = await upload(options, ctx);
			stdout.write(options.json ? toJson(image) : `${image.id}\n`);
		} else if (command === "download") {
			const image = await download(options, ctx);
			if (options.json) stdout.write(toJson(image));
		} else {
			await abort(options, ctx);
		}
		return EXIT.OK;
	} catch (err) {
		ui.clear();
		if (err instanceof CliError) {
			if (options.json && err.image) stdout.write(toJson(err.image));
			ui.error(err.message);
			return err.exitCode;
		}
		ui.error(`unexpected failure: ${oneLine((err instanceof Error && err.stack) || err)}`);
		return EXIT.USAGE;
	} finally {
		process.removeListener("SIGINT", onSignal);
		process.removeListener("SIGTERM", onSignal);
	}
}
