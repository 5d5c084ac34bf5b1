import { routedPrefix, versionNamed } from "./api-versions";

/**
 * Content negotiation for one image's GET. Glance v1 always answered GET /v1/images/{id} with the
 * bytes. Two kinds of client want the record instead:
 * - one whose Accept asks for application/json and not for the data (`application/octet-stream`,
 *   `application/*` or `*\/*` at least as strongly);
 * - openstacksdk, whose v1 `Image.fetch` (behind `openstack image show <id>`, `set`, `save`)
 *   GETs /v1/images/{id} with `Accept: *\/*` and parses the body as JSON — against real Glance v1 it
 *   downloaded the whole image and showed every field as None. The SDK itself downloads from
 *   /v1/images/{id}/file, so its GETs of the image URL never want bytes.
 * glanceclient sends `Accept: *\/*` and User-Agent python-glanceclient: it keeps getting the bytes.
 */

/** User-Agent prefixes of clients whose GET of an image URL is a metadata fetch. */
const RECORD_FETCHING_AGENTS = ["openstacksdk/"] as const;

const DATA_RANGES = new Set(["application/octet-stream", "application/*", "*/*"]);

/** Each media range of an Accept header with its q value (RFC 9110 §12.5.1). */
export function acceptedRanges(accept: string | null): Map<string, number> {
	const ranges = new Map<string, number>();
	for (const part of (accept ?? "").split(",")) {
		const [range, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
		if (!range) continue;
		let q = 1;
		for (const param of params) {
			const [name, value] = param.split("=").map((s) => s.trim());
			if (name === "q") q = Number.isFinite(Number(value)) ? Number(value) : 0;
		}
		ranges.set(range, Math.max(q, ranges.get(range) ?? 0));
	}
	return ranges;
}

/** Whether a GET of /v1/images/{id} should answer the JSON record rather than the data. */
export function wantsImageRecord(headers: Headers): boolean {
	const ranges = acceptedRanges(headers.get("accept"));
	const q = (range: string) => ranges.get(range) ?? 0;
	const json = q("application/json");
	// A tie (`application/json, */*`) keeps Glance's answer: the data.
	if (json > Math.max(...[...DATA_RANGES].map(q))) return true;
	const agent = headers.get("user-agent") ?? "";
	return (
		q("application/octet-stream") === 0 &&
		RECORD_FETCHING_AGENTS.some((prefix) => agent.startsWith(prefix))
	);
}

/** Glance's vendor media type; the rest of the Accept value is a version string (`v1`, `v1.1`). */
const VERSIONED_MEDIA_TYPE = "application/vnd.openstack.images-";

/** The path Glance's router would have served when a request names no version in its path. */
export const VERSIONS_PATH = "/";

/**
 * Glance's version negotiation middleware (glance/api/middleware/version_negotiation.py), as a
 * path rewrite in front of the router:
 * - a path whose first segment is a served version prefix (`/v1.0/images`) is routed as it is;
 * - an unversioned path (`/images`) is routed to the version named by
 *   `Accept: application/vnd.openstack.images-<version>` (`/v1/images`);
 * - anything else — no or an unknown vendor type, an unknown prefix (`/v1.a/images`, `/v9`) —
 *   goes to the versions document, which answers 300 Multiple Choices.
 * Paths the app serves outside every version (`/versions`, `/healthz`...) are left alone.
 */
export function negotiatedPath(
	path: string,
	headers: Headers,
	unversioned: ReadonlySet<string>,
): string {
	const first = path.split("/")[1] ?? "";
	if (first === "" || unversioned.has(first)) return path;
	const named = versionNamed(first);
	if (named) return `${routedPrefix(named, `/${first}`)}${path.slice(first.length + 1)}`;
	const accept = (headers.get("accept") ?? "").trim().toLowerCase();
	if (accept.startsWith(VERSIONED_MEDIA_TYPE)) {
		const wanted = accept.slice(VERSIONED_MEDIA_TYPE.length).split(/[;,]/)[0].trim();
		const version = versionNamed(wanted);
		if (version) return `${routedPrefix(version, version.prefixes[0])}${path}`;
	}
	return VERSIONS_PATH;
}
