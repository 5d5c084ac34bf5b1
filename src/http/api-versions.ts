/**
 * The API versions this server speaks, as data: the versions document lists them, the app mounts
 * each one's API under its prefixes, and version negotiation routes to them. A v2 API adds its
 * entries here (Glance listed v2 entries before the v1 ones).
 */
export interface ApiVersion {
	/** The id in the versions document. */
	id: string;
	/** Which API serves it. */
	api: "v1" | "v2";
	status: "CURRENT" | "SUPPORTED" | "DEPRECATED";
	/** Path prefixes routed to this version (Glance accepted v1, v1.0 and v1.1 for v1). */
	prefixes: readonly string[];
	/** The prefix the document links to (`<base><self>/`). */
	self: string;
}

/** The v2 minor versions Glance 25.1 lists with its default configuration, newest first. */
const V2_MINORS = ["15", "9", "7", "6", "5", "4", "3", "2", "1", "0"] as const;

export const API_VERSIONS: readonly ApiVersion[] = [
	...V2_MINORS.map(
		(minor, i): ApiVersion => ({
			id: `v2.${minor}`,
			api: "v2",
			status: i === 0 ? "CURRENT" : "SUPPORTED",
			prefixes: i === 0 ? ["/v2", `/v2.${minor}`] : [`/v2.${minor}`],
			self: "/v2",
		}),
	),
	// After the v2 entries, as Glance 16 listed v1 when it served both.
	{ id: "v1.1", api: "v1", status: "DEPRECATED", prefixes: ["/v1", "/v1.1"], self: "/v1" },
	{ id: "v1.0", api: "v1", status: "DEPRECATED", prefixes: ["/v1.0"], self: "/v1" },
];

/**
 * Where each API is mounted. v1's aliases are mounted as they are; every v2 alias (`/v2.3`) is
 * routed as `/v2` by version negotiation, as Glance routed them all to one v2 API.
 */
export const V2_PREFIX = "/v2";

/** The prefix a request under `prefix` is routed to. */
export function routedPrefix(version: ApiVersion, prefix: string): string {
	return version.api === "v2" ? V2_PREFIX : prefix;
}

/** Every v1 prefix, for mounting. */
export const VERSION_PREFIXES: readonly string[] = API_VERSIONS.filter(
	(v) => v.api === "v1",
).flatMap((v) => v.prefixes);

/** Prefixes the app mounts, each with the version whose document it answers discovery with. */
export const MOUNTED_PREFIXES: readonly { prefix: string; version: ApiVersion }[] = [
	...new Map(
		API_VERSIONS.flatMap((v) =>
			v.prefixes.map(
				(p) => [routedPrefix(v, p), { prefix: routedPrefix(v, p), version: v }] as const,
			),
		).reverse(),
	).values(),
].reverse();

/** The version a path prefix (`/v1.0`) or a version string (`v1.0`) names, if any. */
export function versionNamed(name: string): ApiVersion | undefined {
	const prefix = name.startsWith("/") ? name : `/${name}`;
	return API_VERSIONS.find((v) => v.prefixes.includes(prefix));
}

function entry(version: ApiVersion, base: string) {
	return {
		id: version.id,
		status: version.status,
		links: [{ rel: "self", href: `${base}${version.self}/` }],
	};
}

/** The versions document (contract §2.1). */
export function versionsDocument(base: string) {
	return { versions: API_VERSIONS.map((v) => entry(v, base)) };
}

/** One version's document, `{"version": {...}}`: what keystoneauth reads from a versioned endpoint. */
export function versionDocument(version: ApiVersion, base: string) {
	return { version: entry(version, base) };
}
