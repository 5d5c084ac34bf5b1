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
