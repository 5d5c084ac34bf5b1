// @ts-check
// Command line parsing, dispatch and exit codes of `glance-edge`.

import fs from "node:fs";
import { parseArgs } from "node:util";
import { abort, list, remove, set, share, show } from "./commands.mjs";
import { connectionFrom, resolveConnection } from "./connect.mjs";
import { download } from "./download.mjs";
import { asError, CliError, EXIT, oneLine, usageError } from "./errors.mjs";
import { Client } from "./http.mjs";
import { importUpload } from "./import.mjs";
import { createUi } from "./ui.mjs";
import { upload } from "./upload.mjs";

/** @typedef {import("./ui.mjs").TextStream} TextStream */

export const HELP = `Usage:
  glance-edge upload <file> --name NAME --disk-format FORMAT --container-format FORMAT [options]
  glance-edge download <image-id> <file> [options]
  glance-edge abort <image-id> [options]
  glance-edge list [--name NAME] [--status S] [--property KEY=VALUE] ... [--json]
  glance-edge show <image-id> [--json]
  glance-edge set <image-id> [--name NAME] [--property KEY=VALUE] [--remove-property KEY]
                  [--protected | --unprotected] [--public | --private] [--min-disk GB] [--min-ram MB]
  glance-edge delete <image-id>...
  glance-edge share <image-id> <tenant> [--can-share]
  glance-edge unshare <image-id> <tenant>
  glance-edge --version

Moves VM images to and from a glance-edge server (OpenStack Image API v1) in parts, with
progress, retries, resume and checksum verification, and manages their metadata.

  upload     Hashes <file> (MD5, SHA-512), registers an image, uploads the file in parts through
             an upload session, waits until the server has verified it and checks its checksums.
             Interrupted? Run the same command again: it resumes, sending only the parts the
             server does not have (state is kept in <file>.glance-edge.json, or in --state-dir,
             until success).
             With --import: through Image API v2's interoperable import instead. Creates the
             image (POST /v2/images), stages the file (one request up to 5 MiB, otherwise in
             parallel parts through the v2 staging session), imports it with glance-direct,
             waits until it is active and checks its checksums (no resume: run it again to
             start over with a new image).
  download   Saves the image to <file> through <file>.part, which a re-run resumes with a Range
             request; checks MD5 and SHA-512 before renaming it to <file>.
  abort      Discards the open upload session of a queued image and the parts it holds.
  list       Lists the images you can see: id, name, status, disk format, size (tab-separated),
             or JSON with --json. Filters: --name, --status, --disk-format, --container-format,
             --size-min, --size-max, --property KEY=VALUE; --limit N, --sort-key, --sort-dir.
  show       Prints an image's fields and properties (tab-separated), or JSON with --json.
  set        Updates an image: properties are merged, --remove-property removes one.
  delete     Deletes images.
  share      Makes an image visible to another tenant (--can-share: who may share it further).
  unshare    Takes that back.

Connection (options win over the environment, which wins over clouds.yaml):
  --url URL          server endpoint, e.g. https://images.example.com  [env OS_IMAGE_URL, OS_ENDPOINT]
  --token TOKEN      token sent as X-Auth-Token                        [env OS_AUTH_TOKEN, OS_TOKEN]
  --os-cloud NAME    a cloud of clouds.yaml                            [env OS_CLOUD]
  Without a token, Keystone v3 password authentication: OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
  OS_PROJECT_NAME, OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME (or the cloud's auth section);
  without a URL, the image endpoint of the token's catalog (OS_INTERFACE, OS_REGION_NAME).

Options:
  --retries N                retries of a request after 5xx, 429, 408 or network errors
                             (default: as many as fit in --retry-for)
  --retry-for SECONDS        how long to keep retrying an outage, with exponential backoff and
                             jitter (default 300; with --retries N alone: no limit)
  -q, --quiet                print nothing on stderr but errors
  --json                     print the result as JSON on stdout
  -h, --help                 print this help
  --version                  print the version

Upload options:
  --name NAME                image name (required unless --id)
  --disk-format FORMAT       raw, qcow2, vmdk, vhd, vhdx, vdi, iso, ... (required unless --id)
  --container-format FORMAT  bare, ovf, ova, ... (required unless --id)
  --property KEY=VALUE       image property (repeatable)
  --public                   make the image public
  --min-disk GB              minimum disk size to boot the image
  --min-ram MB               minimum RAM to boot the image
  --id IMAGE_ID              upload into this queued image instead of registering a new one
  --import                   create and import the image through Image API v2 (glance-direct)
  --parallel N               parts uploaded at the same time (default 4, at most 32)
  --verify-timeout SECONDS   how long to wait for the server's verification (default 3600)
  --state-dir DIR            keep the resume state in DIR instead of next to <file>

Output: upload prints the image id on stdout (the image as JSON with --json). Progress goes to
stderr: a bar (bytes, MB/s, ETA) on a terminal; otherwise a line at the start and one every
10 s; none with --quiet.

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
	"os-endpoint",
	"token",
	"os-auth-token",
	"os-token",
	"os-cloud",
	"retries",
	"retry-for",
	"quiet",
	"json",
	"help",
	"version",
];
const LIST_FILTERS = /** @type {const} */ ([
	"name",
	"status",
	"disk-format",
	"container-format",
	"size-min",
	"size-max",
	"sort-key",
	"sort-dir",
]);
/** @typedef {"upload" | "download" | "abort" | "list" | "show" | "set" | "delete" | "share" | "unshare"} Command */

/** @type {Record<Command, {positionals: string[], variadic?: boolean, options: string[]}>} */
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
			"state-dir",
			"import",
		],
	},
	download: { positionals: ["image-id", "file"], options: COMMON },
	abort: { positionals: ["image-id"], options: COMMON },
	list: { positionals: [], options: [...COMMON, ...LIST_FILTERS, "property", "limit", "public"] },
	show: { positionals: ["image-id"], options: COMMON },
	set: {
		positionals: ["image-id"],
		options: [
			...COMMON,
			"name",
			"property",
			"remove-property",
			"protected",
			"unprotected",
			"public",
			"private",
			"min-disk",
			"min-ram",
		],
	},
	delete: { positionals: ["image-id"], variadic: true, options: COMMON },
	share: { positionals: ["image-id", "tenant"], options: [...COMMON, "can-share"] },
	unshare: { positionals: ["image-id", "tenant"], options: COMMON },
};
const COMMAND_NAMES = Object.keys(COMMANDS).join(", ");

/** @satisfies {NonNullable<import("node:util").ParseArgsConfig["options"]>} */
const OPTIONS = {
	url: { type: "string" },
	"os-image-url": { type: "string" },
	"os-endpoint": { type: "string" },
	token: { type: "string" },
	"os-auth-token": { type: "string" },
	"os-token": { type: "string" },
	"os-cloud": { type: "string" },
	retries: { type: "string" },
	"retry-for": { type: "string" },
	quiet: { type: "boolean", short: "q" },
	json: { type: "boolean" },
	help: { type: "boolean", short: "h" },
	version: { type: "boolean" },
	name: { type: "string" },
	"disk-format": { type: "string" },
	"container-format": { type: "string" },
	property: { type: "string", multiple: true },
	"remove-property": { type: "string", multiple: true },
	public: { type: "boolean" },
	private: { type: "boolean" },
	protected: { type: "boolean" },
	unprotected: { type: "boolean" },
	"min-disk": { type: "string" },
	"min-ram": { type: "string" },
	id: { type: "string" },
	parallel: { type: "string" },
	"verify-timeout": { type: "string" },
	"state-dir": { type: "string" },
	import: { type: "boolean" },
	status: { type: "string" },
	"size-min": { type: "string" },
	"size-max": { type: "string" },
	"sort-key": { type: "string" },
	"sort-dir": { type: "string" },
	limit: { type: "string" },
	"can-share": { type: "boolean" },
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

/** The CLI's own version: the package.json beside these modules (cli/ is the package). */
export function packageVersion() {
	try {
		const url = new URL("./package.json", import.meta.url);
		return JSON.parse(fs.readFileSync(url, "utf8")).version ?? "0";
	} catch {
		return "0";
	}
}

/**
 * @typedef {object} CommonOptions
 * @property {import("./connect.mjs").Connection} connection
 * @property {number} retries
 * @property {number} retryForMs
 * @property {boolean} quiet
 * @property {boolean} json
 */

/**
 * @typedef {{help: true} | {version: true}
 *   | {command: "upload", options: CommonOptions & import("./upload.mjs").UploadOptions}
 *   | {command: "download", options: CommonOptions & import("./download.mjs").DownloadOptions}
 *   | {command: "abort" | "show", options: CommonOptions & {id: string}}
 *   | {command: "list", options: CommonOptions & import("./commands.mjs").ListOptions}
 *   | {command: "set", options: CommonOptions & import("./commands.mjs").SetOptions}
 *   | {command: "delete", options: CommonOptions & {ids: string[]}}
 *   | {command: "share" | "unshare", options: CommonOptions & {id: string, tenant: string, canShare?: boolean, unshare?: boolean}}} CommandLine
 */

/** @returns {name is Command} */
const isCommand = (/** @type {string} */ name) => Object.hasOwn(COMMANDS, name);

/** KEY=VALUE pairs of a repeatable option. */
function pairs(/** @type {string[] | undefined} */ values, /** @type {string} */ option) {
	/** @type {Record<string, string>} */
	const out = {};
	for (const pair of values ?? []) {
		const eq = pair.indexOf("=");
		if (eq <= 0) throw usageError(`--${option} must be KEY=VALUE, not "${pair}"`);
		out[pair.slice(0, eq)] = pair.slice(eq + 1);
	}
	return out;
}

/** At most one of two opposite switches; undefined when neither is given. */
function either(
	/** @type {Record<string, unknown>} */ values,
	/** @type {string} */ yes,
	/** @type {string} */ no,
) {
	if (values[yes] && values[no]) throw usageError(`--${yes} and --${no} contradict each other`);
	return values[yes] ? true : values[no] ? false : undefined;
}

/**
 * Parses argv (without node and the script) into {help}, {version} or {command, options}.
 * Throws a USAGE CliError for anything wrong. Needs no network: where the server is and which
 * token to use may still depend on Keystone (resolved by main).
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
	if (values.version || positionals[0] === "version") return { version: true };
	if (positionals.length === 0) throw usageError(`no command given (${COMMAND_NAMES})`);
	const command = positionals[0];
	if (!isCommand(command)) {
		throw usageError(`unknown command "${command}" (${COMMAND_NAMES})`);
	}
	const spec = COMMANDS[command];
	for (const name of Object.keys(values)) {
		if (!spec.options.includes(name)) {
			throw usageError(`--${name} is not an option of ${command}`);
		}
	}
	const args = positionals.slice(1);
	const countOk = spec.variadic
		? args.length >= spec.positionals.length
		: args.length === spec.positionals.length;
	if (!countOk) {
		throw usageError(
			`${command} takes ${spec.positionals.map((p) => `<${p}>`).join(" ")}${spec.variadic ? "..." : ""}` +
				(args.length > spec.positionals.length
					? `; unexpected "${args[spec.positionals.length]}"`
					: ""),
		);
	}
	for (const [i, arg] of args.entries()) {
		if (arg === "")
			throw usageError(
				`<${spec.positionals[Math.min(i, spec.positionals.length - 1)]}> must not be empty`,
			);
	}

	const token = values.token ?? values["os-auth-token"] ?? values["os-token"];
	if (token !== undefined && /[\r\n]/.test(token)) throw usageError("the token must be one line");
	const connection = connectionFrom(
		{
			url: values.url ?? values["os-image-url"] ?? values["os-endpoint"],
			token,
			cloud: values["os-cloud"],
		},
		env,
	);
	const retries = integer(values.retries, "retries", { min: 0, max: 1000 });
	const retryFor = integer(values["retry-for"], "retry-for", { min: 0, max: 7 * 86400 });
	/** @type {CommonOptions} */
	const common = {
		connection,
		// An outage is ridden out for minutes by default, not for a fixed number of tries.
		retries: retries ?? 1000,
		retryForMs:
			retryFor !== undefined
				? retryFor * 1000
				: retries !== undefined
					? Number.POSITIVE_INFINITY
					: 300_000,
		quiet: Boolean(values.quiet),
		json: Boolean(values.json),
	};
	const minDisk = integer(values["min-disk"], "min-disk", { min: 0, max: 2 ** 31 - 1 });
	const minRam = integer(values["min-ram"], "min-ram", { min: 0, max: 2 ** 31 - 1 });
	if (command === "download")
		return { command, options: { ...common, id: args[0], file: args[1] } };
	if (command === "abort" || command === "show") {
		return { command, options: { ...common, id: args[0] } };
	}
	if (command === "delete") return { command, options: { ...common, ids: args } };
	if (command === "share" || command === "unshare") {
		return {
			command,
			options: {
				...common,
				id: args[0],
				tenant: args[1],
				canShare: Boolean(values["can-share"]),
				unshare: command === "unshare",
			},
		};
	}
	if (command === "list") {
		/** @type {Record<string, string>} */
		const filters = {};
		for (const option of LIST_FILTERS) {
			const value = values[option];
			if (value !== undefined) filters[option.replaceAll("-", "_")] = value;
		}
		for (const [key, value] of Object.entries(pairs(values.property, "property"))) {
			filters[`property-${key}`] = value;
		}
		if (values.public) filters.is_public = "true";
		return {
			command,
			options: {
				...common,
				filters,
				limit: integer(values.limit, "limit", { min: 1, max: 1_000_000 }),
			},
		};
	}
	if (command === "set") {
		/** @type {Record<string, unknown>} */
		const fields = {};
		if (values.name !== undefined) fields.name = values.name;
		if (minDisk !== undefined) fields.min_disk = minDisk;
		if (minRam !== undefined) fields.min_ram = minRam;
		const isPublic = either(values, "public", "private");
		if (isPublic !== undefined) fields.is_public = isPublic;
		const isProtected = either(values, "protected", "unprotected");
		if (isProtected !== undefined) fields.protected = isProtected;
		const properties = pairs(values.property, "property");
		const removeProperties = values["remove-property"] ?? [];
		if (
			Object.keys(fields).length === 0 &&
			Object.keys(properties).length === 0 &&
			removeProperties.length === 0
		) {
			throw usageError("set needs something to change (--name, --property, --protected, ...)");
		}
		return {
			command,
			options: { ...common, id: args[0], fields, properties, removeProperties },
		};
	}

	const id = values.id;
	if (id !== undefined && id.trim() === "") throw usageError("--id must not be empty");
	if (!id) {
		for (const required of /** @type {const} */ (["name", "disk-format", "container-format"])) {
			if (!values[required])
				throw usageError(`upload needs --${required} (or --id of a queued image)`);
		}
	}
	if (values.import && values["state-dir"] !== undefined) {
		throw usageError("--state-dir does not apply to --import, which does not resume");
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
			properties: pairs(values.property, "property"),
			isPublic: Boolean(values.public),
			minDisk,
			minRam,
			parallel: integer(values.parallel, "parallel", { min: 1, max: 32 }) ?? 4,
			verifyTimeoutMs: (verifyTimeout ?? 3600) * 1000,
			stateDir: values["state-dir"],
			viaImport: Boolean(values.import),
		},
	};
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
	if ("version" in parsed) {
		stdout.write(`glance-edge ${packageVersion()}\n`);
		return EXIT.OK;
	}
	const { command, options } = parsed;
	const ui = createUi({ stream: stderr, quiet: options.quiet });
	const userAgent = `glance-edge-cli/${packageVersion()} node/${process.versions.node}`;
	let endpoint;
	try {
		endpoint = await resolveConnection(options.connection, { userAgent });
	} catch (err) {
		if (!(err instanceof CliError)) throw err;
		ui.error(err.message);
		if (err.exitCode === EXIT.USAGE) stderr.write(`Run "glance-edge --help" for usage.\n`);
		return err.exitCode;
	}
	const client = new Client({
		url: endpoint.url,
		token: endpoint.token,
		retries: options.retries,
		retryForMs: options.retryForMs,
		ui,
		userAgent,
	});
	const ctx = { client, ui };
	const resumable = command === "upload" || command === "download";

	const onSignal = (/** @type {NodeJS.Signals} */ signal) => {
		ui.clear();
		const hint = resumable ? "; run the same command again to resume" : "";
		stderr.write(`glance-edge: interrupted (${signal})${hint}\n`);
		process.exit(signal === "SIGINT" ? EXIT.INTERRUPTED : 128 + 15);
	};
	process.once("SIGINT", onSignal);
	process.once("SIGTERM", onSignal);
	try {
		if (command === "upload") {
			const image = options.viaImport
				? await importUpload(options, ctx)
				: await upload(options, ctx);
			stdout.write(options.json ? toJson(image) : `${image.id}\n`);
		} else if (command === "download") {
			const image = await download(options, ctx);
			if (options.json) stdout.write(toJson(image));
		} else if (command === "list") {
			await list(options, ctx, stdout);
		} else if (command === "show") {
			await show(options, ctx, stdout);
		} else if (command === "set") {
			await set(options, ctx, stdout);
		} else if (command === "delete") {
			await remove(options, ctx);
		} else if (command === "share" || command === "unshare") {
			await share(options, ctx);
		} else {
			await abort(options, ctx);
		}
		return EXIT.OK;
	} catch (err) {
		ui.clear();
		if (err instanceof CliError) {
			if (options.json && err.image) stdout.write(toJson(err.image));
			const again =
				resumable && err.exitCode === EXIT.NETWORK ? "; run the same command again to resume" : "";
			ui.error(`${err.message}${again}`);
			return err.exitCode;
		}
		ui.error(`unexpected failure: ${oneLine((err instanceof Error && err.stack) || err)}`);
		return EXIT.USAGE;
	} finally {
		process.removeListener("SIGINT", onSignal);
		process.removeListener("SIGTERM", onSignal);
	}
}
