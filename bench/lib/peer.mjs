// `npm run bench -- --peer`: the reference Glance's figures for the v2 operations glance-edge's
// v2 figures measure (create, show, list, upload, download), taken in the same run with the same
// clients. Glance speaks v2 only here. It is reached through its URL and a token its token proxy
// knows (the reference Glance scripts start both; docs/benchmarks.md says how), so this module
// knows nothing of how it runs and reports no server CPU for it.

import { call, requestLoad, streamDownload, streamUpload } from "./load.mjs";
import { cell, fmtRatio, markdownTable, median } from "./report.mjs";

/** The peer's URL and token: --peer-url/--peer-token, else GLANCE_PEER_URL/GLANCE_PEER_TOKEN. */
export function peerTarget(opts, env = process.env) {
	const url = (opts["peer-url"] ?? env.GLANCE_PEER_URL ?? "").replace(/\/+$/, "");
	const token = opts["peer-token"] ?? env.GLANCE_PEER_TOKEN ?? "";
	if (!url || !token) {
		throw new Error(
			"--peer needs the reference Glance's URL and a token: --peer-url URL --peer-token TOKEN, or GLANCE_PEER_URL and GLANCE_PEER_TOKEN",
		);
	}
	return { url, token };
}

/**
 * Measures the peer: `reps` runs of `seconds` per request figure, `reps` uploads and twice as many
 * downloads of `body`. Same connections and bodies as glance-edge's v2 figures; the list asks for
 * `listLimit` of whatever images the create figure left (Glance starts empty).
 */
export async function measurePeer({ url, token, body, reps, seconds, listLimit, log }) {
	const auth = { "x-auth-token": token };
	const json = { ...auth, "content-type": "application/json" };
	const create = JSON.stringify({ name: "bench", disk_format: "raw", container_format: "bare" });
	const probe = await call(`${url}/v2/images?limit=1`, { headers: auth });
	if (probe.status !== 200)
		throw new Error(`the peer answered GET /v2/images with ${probe.status}`);
	const created = await call(`${url}/v2/images`, { method: "POST", headers: json, body: create });
	if (created.status !== 201)
		throw new Error(`the peer answered a v2 create with ${created.status}`);
	const showId = created.json.id;

	const results = {};
	const rates = [
		["create", 16, { path: "/v2/images", method: "POST", headers: json, body: create }],
		["show", 16, { path: `/v2/images/${showId}`, headers: auth }],
		["list", 1, { path: `/v2/images?limit=${listLimit}`, headers: auth }],
	];
	for (const [name, connections, req] of rates) {
		log(`peer ${name}: ${connections} connection(s), ${reps} × ${seconds} s`);
		const request = { ...req, url: `${url}${req.path}`, connections };
		await requestLoad({ ...request, seconds: 1 });
		results[name] = [];
		for (let rep = 0; rep < reps; rep++) {
			results[name].push(await requestLoad({ ...request, seconds }));
		}
	}
	const listed = await call(`${url}/v2/images?limit=${listLimit}`, { headers: auth });
	results.listed = listed.json?.images?.length ?? 0;

	log(`peer upload: ${reps} uploads, then ${2 * reps} downloads`);
	results.upload = [];
	let kept = null;
	for (let rep = 0; rep < reps; rep++) {
		const image = await call(`${url}/v2/images`, { method: "POST", headers: json, body: create });
		const r = await streamUpload({
			url: `${url}/v2/images/${image.json.id}/file`,
			method: "PUT",
			headers: { ...auth, "content-type": "application/octet-stream" },
			file: body.file,
			size: body.size,
			chunked: true,
		});
		if (r.status !== 204) throw new Error(`the peer answered an upload with ${r.status}`);
		const shown = await call(`${url}/v2/images/${image.json.id}`, { headers: auth });
		if (shown.json?.checksum !== body.md5 || shown.json?.os_hash_value !== body.sha512) {
			throw new Error("the peer stored digests that do not match the file");
		}
		results.upload.push({ mbps: r.mbps });
		if (kept) await call(`${url}/v2/images/${kept}`, { method: "DELETE", headers: auth });
		kept = image.json.id;
	}
	results.download = [];
	for (let rep = 0; rep < 2 * reps; rep++) {
		const r = await streamDownload({ url: `${url}/v2/images/${kept}/file`, headers: auth });
		if (r.status !== 200 || r.bytes !== body.size) {
			throw new Error(`the peer download: ${r.status}, ${r.bytes} bytes`);
		}
		results.download.push({ mbps: r.mbps });
	}
	await call(`${url}/v2/images/${kept}`, { method: "DELETE", headers: auth });
	return results;
}

/**
 * The side-by-side table: each v2 operation on glance-edge, the baseline and Glance, and
 * glance-edge's ratio to Glance. `figure(name)` gives glance-edge's figure for an operation.
 */
export function peerTable(peer, figure) {
	const rows = [];
	const rate = (name, f, metric, key, better) => {
		if (!f) return;
		const a = f.app.map((r) => r[key]);
		const g = peer[name].map((r) => r[key]);
		rows.push([
			rows.some((r) => r[0] === f.label) ? "" : f.label,
			metric,
			cell(a),
			cell(f.base.map((r) => r[key])),
			cell(g),
			fmtRatio(median(a) / median(g)),
			better,
		]);
	};
	for (const name of ["create", "show"]) {
		rate(name, figure(name), "req/s", "rps", "higher");
		rate(name, figure(name), "p50 ms", "p50", "lower");
	}
	rate("list", figure("list"), "p50 ms", "p50", "lower");
	rate("list", figure("list"), "req/s", "rps", "higher");
	rate("upload", figure("upload"), "MB/s", "mbps", "higher");
	rate("download", figure("download"), "MB/s", "mbps", "higher");
	return markdownTable(
		["v2 operation", "metric", "glance-edge", "baseline", "Glance", "edge / Glance", "better"],
		rows,
		["l", "l", "r", "r", "r", "r", "l"],
	);
}
