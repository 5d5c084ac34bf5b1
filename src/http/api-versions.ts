/**
 * The API versions this server speaks, as data: the versions document lists them, the app mounts
 * each one's API under its prefixes, and version negotiation routes to them. A v2 API adds its
 * entries here (Glance listed v2 entries before the v1 ones).
 */
export interface ApiVersion {
	/** The id in the versions document. */
	id: string;
	status: "CURRENT" | "SUPPORTED" | "DEPRECATED";
	/** Path prefixes routed to this version (Glance accepted v1, v1.0 and v1.1 for v1). */
	prefixes: readonly string[];
	/** The prefix the document links to (`<base><self>/`). */
	self: string;
}

export const API_VERSIONS: readonly ApiVersion[] = [
	{ id: "v1.1", status: "CURRENT", prefixes: ["/v1", "/v1.1"], self: "/v1" },
	{ id: "v1.0", status: "SUPPORTED", prefixes: ["/v1.0"], self: "/v1" },
];

/** Every prefix of every version, e.g. for mounting. */
export const VERSION_PREFIXES: readonly string[] = API_VERSIONS.flatMap((v) => v.prefixes);

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

/**
 * Prefixes of versions being built here but not served yet: routed as paths (404), not
 * negotiated (300), so `/v2/...` keeps answering as it did until the v2 API is mounted. Glance
 * itself answered 300 for a disabled version.
 */
export const UNSERVED_PREFIXES: ReadonlySet<string> = new Set(["v2"]);
