// @ts-check
// Where the server is and which token to send, the OpenStack way: options first, then the
// environment (OS_IMAGE_URL/OS_ENDPOINT, OS_AUTH_TOKEN/OS_TOKEN), then the cloud named by
// --os-cloud or OS_CLOUD in clouds.yaml, and, when no token is given, Keystone v3 password
// authentication (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME, domains), which also
// finds the image endpoint in the token's catalog when no URL is given.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describeNetworkError, networkFailure, refused, usageError } from "./errors.mjs";
import { normalizeEndpoint } from "./http.mjs";

/**
 * A parsed YAML value of the subset clouds.yaml files use: nested maps by indentation, scalars
 * (plain, quoted), comments, and `- item` lists of scalars.
 * @typedef {string | number | boolean | null | YamlMap | YamlValue[]} YamlValue
 * @typedef {{[key: string]: YamlValue}} YamlMap
 */

/** @param {string} raw */
function scalar(raw) {
	const text = raw.trim();
	if (/^".*"$/.test(text)) return JSON.parse(text);
	if (/^'.*'$/.test(text)) return text.slice(1, -1).replaceAll("''", "'");
	if (text === "" || text === "~" || text === "null") return null;
	if (text === "{}") return {};
	if (text === "[]") return [];
	if (/^(true|yes)$/i.test(text)) return true;
	if (/^(false|no)$/i.test(text)) return false;
	if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
	return text;
}

/** Drops a ` # comment` that is not inside quotes. */
function stripComment(/** @type {string} */ line) {
	let quote = "";
	for (let i = 0; i < line.length; i++) {
		const ch = line[i];
		if (quote) {
			if (ch === quote) quote = "";
		} else if (ch === '"' || ch === "'") quote = ch;
		else if (ch === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
	}
	return line;
}

/**
 * Parses the YAML subset of clouds.yaml. Anything else (anchors, flow maps, multi-line strings)
 * is an error naming the line, rather than a silently wrong reading.
 * @param {string} text
 * @returns {YamlMap}
 */
export function parseYaml(text) {
	/** @type {YamlMap} */
	const root = {};
	/** @type {{indent: number, value: YamlMap | YamlValue[]}[]} */
	const stack = [{ indent: -1, value: root }];
	/** A key whose value is on the next lines: a map or a list, decided by the first of them. */
	/** @type {{parent: YamlMap, key: string, indent: number} | null} */
	let pending = null;
	const lines = text.split(/\r?\n/);
	for (const [n, rawLine] of lines.entries()) {
		const line = stripComment(rawLine).replace(/\s+$/, "");
		if (!line.trim() || line.trim() === "---") continue;
		const indent = line.length - line.trimStart().length;
		const body = line.trim();
		const fail = (/** @type {string} */ why) => {
			throw new Error(`line ${n + 1}: ${why}`);
		};
		if (pending) {
			if (indent > pending.indent) {
				const value = body.startsWith("- ") || body === "-" ? [] : {};
				pending.parent[pending.key] = value;
				stack.push({ indent, value });
			}
			pending = null;
		}
		while (stack.length > 1 && indent < stack[stack.length - 1].indent) stack.pop();
		const top = stack[stack.length - 1];
		if (indent !== top.indent && top.indent !== -1) fail("unexpected indentation");
		if (top.indent === -1) top.indent = indent;
		if (Array.isArray(top.value)) {
			if (!body.startsWith("-")) fail("expected a list item");
			top.value.push(scalar(body.slice(1)));
			continue;
		}
		const m = body.match(/^("[^"]*"|'[^']*'|[^:]+?)\s*:(?:\s+(.*))?$/);
		if (!m) fail(`cannot read "${body}"`);
		const key = String(scalar(/** @type {RegExpMatchArray} */ (m)[1]));
		const rest = /** @type {RegExpMatchArray} */ (m)[2];
		if (rest === undefined || rest === "") {
			top.value[key] = null;
			pending = { parent: top.value, key, indent };
		} else {
			if (/^[&*[{|>]/.test(rest) && rest !== "{}" && rest !== "[]") {
				fail("anchors, flow collections and block strings are not supported");
			}
			top.value[key] = scalar(rest);
		}
	}
	return root;
}

/** The clouds.yaml files os-client-config reads, first found wins. */
export function cloudsYamlCandidates(/** @type {NodeJS.ProcessEnv} */ env) {
	if (env.OS_CLIENT_CONFIG_FILE) return [env.OS_CLIENT_CONFIG_FILE];
	const home = env.HOME || os.homedir();
	const config = env.XDG_CONFIG_HOME || path.join(home, ".config");
	return [
		path.join(process.cwd(), "clouds.yaml"),
		path.join(config, "openstack", "clouds.yaml"),
		"/etc/openstack/clouds.yaml",
	];
}

/**
 * The entry of `cloud` in the first clouds.yaml found.
 * @param {string} cloud
 * @param {NodeJS.ProcessEnv} env
 * @returns {YamlMap}
 */
export function readCloud(cloud, env) {
	for (const file of cloudsYamlCandidates(env)) {
		let text;
		try {
			text = fs.readFileSync(file, "utf8");
		} catch {
			continue;
		}
		let doc;
		try {
			doc = parseYaml(text);
		} catch (err) {
			throw usageError(`cannot read ${file}: ${/** @type {Error} */ (err).message}`);
		}
		const clouds = doc.clouds;
		const entry =
			clouds && typeof clouds === "object" && !Array.isArray(clouds) ? clouds[cloud] : undefined;
		if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
			throw usageError(`cloud "${cloud}" is not in ${file}`);
		}
		return entry;
	}
	throw usageError(
		`cloud "${cloud}" given, but no clouds.yaml found (${cloudsYamlCandidates(env).join(", ")})`,
	);
}

/**
 * @typedef {object} PasswordAuth
 * @property {string} authUrl
 * @property {string} username
 * @property {string} password
 * @property {string} [userId]
 * @property {string} [userDomainName]
 * @property {string} [userDomainId]
 * @property {string} [projectName]
 * @property {string} [projectId]
 * @property {string} [projectDomainName]
 * @property {string} [projectDomainId]
 * @property {string} [interface] public, internal or admin (default public)
 * @property {string} [region]
 */

/**
 * What the command line, the environment and clouds.yaml say, before any network call.
 * @typedef {{url?: string, token?: string, password?: PasswordAuth, source: string}} Connection
 */

/**
 * @param {{url?: string, token?: string, cloud?: string}} given options
 * @param {NodeJS.ProcessEnv} env
 * @returns {Connection}
 */
export function connectionFrom(given, env) {
	const str = (/** @type {unknown} */ v) =>
		typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
	const cloudName = given.cloud ?? env.OS_CLOUD;
	/** @type {YamlMap} */
	const cloud = cloudName ? readCloud(cloudName, env) : {};
	const cauth = /** @type {YamlMap} */ (
		cloud.auth && typeof cloud.auth === "object" && !Array.isArray(cloud.auth) ? cloud.auth : {}
	);
	const url =
		given.url ??
		env.OS_IMAGE_URL ??
		env.OS_ENDPOINT ??
		str(cloud.image_endpoint_override) ??
		str(cauth.endpoint);
	const token = given.token ?? env.OS_AUTH_TOKEN ?? env.OS_TOKEN ?? str(cauth.token);
	const source = cloudName ? `cloud "${cloudName}"` : "the environment";
	if (token) return { url, token, source };

	const authUrl = env.OS_AUTH_URL ?? str(cauth.auth_url);
	const username = env.OS_USERNAME ?? str(cauth.username);
	const userId = env.OS_USER_ID ?? str(cauth.user_id);
	const password = env.OS_PASSWORD ?? str(cauth.password);
	if (!authUrl || !password || !(username || userId)) return { url, source };
	const domainName = env.OS_DOMAIN_NAME ?? str(cauth.domain_name);
	const domainId = env.OS_DOMAIN_ID ?? str(cauth.domain_id);
	return {
		url,
		source,
		password: {
			authUrl,
			username: username ?? "",
			userId,
			password,
			userDomainName: env.OS_USER_DOMAIN_NAME ?? str(cauth.user_domain_name) ?? domainName,
			userDomainId: env.OS_USER_DOMAIN_ID ?? str(cauth.user_domain_id) ?? domainId,
			projectName: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME ?? str(cauth.project_name),
			projectId: env.OS_PROJECT_ID ?? env.OS_TENANT_ID ?? str(cauth.project_id),
			projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? str(cauth.project_domain_name) ?? domainName,
			projectDomainId: env.OS_PROJECT_DOMAIN_ID ?? str(cauth.project_domain_id) ?? domainId,
			interface: env.OS_INTERFACE ?? str(cloud.interface),
			region: env.OS_REGION_NAME ?? str(cloud.region_name),
		},
	};
}

/** The v3 base of an auth URL given with or without `/v3`. */
function keystoneBase(/** @type {string} */ authUrl) {
	return authUrl
		.replace(/\/+$/, "")
		.replace(/\/v3$/, "")
		.replace(/\/v2\.0$/, "");
}

/**
 * Keystone v3 password authentication: the token, and the image endpoint from its catalog.
 * @param {PasswordAuth} auth
 * @param {{userAgent: string, fetch?: typeof fetch}} options
 */
export async function keystoneLogin(auth, { userAgent }) {
	/** @type {Record<string, unknown>} */
	const user = auth.userId ? { id: auth.userId } : { name: auth.username };
	if (!auth.userId) {
		user.domain = auth.userDomainId
			? { id: auth.userDomainId }
			: { name: auth.userDomainName ?? "Default" };
	}
	user.password = auth.password;
	/** @type {Record<string, unknown>} */
	const body = { auth: { identity: { methods: ["password"], password: { user } } } };
	if (auth.projectId || auth.projectName) {
		/** @type {Record<string, unknown>} */
		const project = auth.projectId ? { id: auth.projectId } : { name: auth.projectName };
		if (!auth.projectId) {
			project.domain = auth.projectDomainId
				? { id: auth.projectDomainId }
				: { name: auth.projectDomainName ?? "Default" };
		}
		/** @type {Record<string, unknown>} */ (body.auth).scope = { project };
	}
	const url = `${keystoneBase(auth.authUrl)}/v3/auth/tokens`;
	let res;
	try {
		res = await fetch(url, {
			method: "POST",
			headers: { "Content-Type": "application/json", "User-Agent": userAgent },
			body: JSON.stringify(body),
			signal: AbortSignal.timeout(60_000),
		});
	} catch (err) {
		throw networkFailure(`authenticating at ${url}: ${describeNetworkError(err)}`);
	}
	const text = await res.text();
	if (!res.ok) {
		let message = text.trim().slice(0, 200);
		try {
			message = JSON.parse(text).error?.message ?? message;
		} catch {}
		const why = `authenticating at ${url}: HTTP ${res.status}${message ? `: ${message}` : ""}`;
		throw res.status >= 500 ? networkFailure(why) : refused(why);
	}
	const token = res.headers.get("x-subject-token");
	if (!token) throw refused(`authenticating at ${url}: no X-Subject-Token in the answer`);
	/** @type {{token?: {catalog?: {type?: string, endpoints?: {interface?: string, region?: string, region_id?: string, url?: string}[]}[]}}} */
	let doc = {};
	try {
		doc = JSON.parse(text);
	} catch {}
	const wanted = (auth.interface ?? "public").replace(/URL$/, "");
	const service = doc.token?.catalog?.find((s) => s.type === "image");
	const endpoint = service?.endpoints?.find(
		(e) =>
			e.interface === wanted &&
			(!auth.region || e.region === auth.region || e.region_id === auth.region),
	);
	return { token, endpoint: endpoint?.url };
}

/**
 * The URL and token to use: password authentication when there is no token.
 * @param {Connection} conn
 * @param {{userAgent: string}} options
 */
export async function resolveConnection(conn, options) {
	let { url, token } = conn;
	if (!token && conn.password) {
		const login = await keystoneLogin(conn.password, options);
		token = login.token;
		if (!url) {
			if (!login.endpoint) {
				throw refused(
					`Keystone's catalog has no ${conn.password.interface ?? "public"} image endpoint${conn.password.region ? ` in region ${conn.password.region}` : ""}: give --url (OS_IMAGE_URL)`,
				);
			}
			url = login.endpoint;
		}
	}
	if (!url) {
		throw usageError(
			"no server URL: give --url, set OS_IMAGE_URL (or OS_ENDPOINT), name a cloud (OS_CLOUD), or set OS_AUTH_URL for Keystone",
		);
	}
	const base = normalizeEndpoint(url);
	if (!base) throw usageError(`--url must be an http or https URL, not "${url}"`);
	if (!token) {
		throw usageError(
			"no token: give --token, set OS_AUTH_TOKEN (or OS_TOKEN), name a cloud (OS_CLOUD), or set OS_AUTH_URL, OS_USERNAME and OS_PASSWORD for Keystone",
		);
	}
	if (/[\r\n]/.test(token)) throw usageError("the token must be one line");
	return { url: base, token };
}
