// The hashing floor of the upload figures (issue 18): what the digests alone cost in the same
// runtime, measured in the same run on the baseline worker's /floor routes. A body read and
// dropped (`drain`) is the zero; SHA-512 is what a known-length upload must add to the bare put
// (R2 gives it the MD5), MD5 + SHA-512 what an unknown-length one must add (multipart objects
// have no MD5 from R2). glance-edge's added CPU per GB (its upload less the bare put) is then
// compared with the digests' own CPU per GB (the floor route less the drain). The route
// `store+sha512` hashes the body and stores it as it is read, with nothing else: the least any
// worker that verifies a known-length upload does on this stack. It runs beside each bare put of
// the known-length figures (measured apart, minutes away, this machine's drift swamped it), and
// glance-edge's upload is shown against it too (an [info] line, not a target). The unknown-length
// figures have theirs in the baseline's `/least/chunked`: the body sent chunked, both digests,
// a multipart of 8 MiB parts.

import { streamUpload } from "./load.mjs";
import { cell, median } from "./report.mjs";

export const FLOOR_KINDS = ["drain", "sha512", "md5+sha512"];
/** Added CPU per GB may be this much above the digests' own (issue 18, goal 2). */
export const FLOOR_SLACK = 1.25;

/**
 * `reps` uploads of `body` to each floor route, kinds interleaved so drift hits all alike.
 * `cpu()` reads the baseline server's CPU seconds so far. Returns {kind: [{mbps, cpuSPerGB}]}.
 */
export async function measureFloors({ url, body, reps, cpu }) {
	const runs = Object.fromEntries(FLOOR_KINDS.map((k) => [k, []]));
	for (let rep = 0; rep < reps; rep++) {
		const order = rep % 2 === 0 ? FLOOR_KINDS : [...FLOOR_KINDS].reverse();
		for (const kind of order) {
			const before = cpu();
			const r = await streamUpload({
				url: `${url}/floor/${encodeURIComponent(kind)}`,
				method: "PUT",
				headers: { "content-type": "application/octet-stream" },
				file: body.file,
				size: body.size,
			});
			if (r.status !== 201 || r.json?.size !== body.size) {
				throw new Error(`floor ${kind} answered ${r.status}: ${r.text.slice(0, 200)}`);
			}
			const expected = { drain: [], sha512: [body.sha512], "md5+sha512": [body.md5, body.sha512] };
			if (JSON.stringify(r.json.digests) !== JSON.stringify(expected[kind])) {
				throw new Error(`floor ${kind} computed digests that do not match the file`);
			}
			runs[kind].push({ mbps: r.mbps, cpuSPerGB: (cpu() - before) / (body.size / 1e9) });
		}
	}
	return runs;
}

const med = (runs, key) => median(runs.map((r) => r[key]));

/** The digests' own CPU per GB for `kind` (the floor route less the drain). */
export function digestCost(floors, kind) {
	return med(floors[kind], "cpuSPerGB") - med(floors.drain, "cpuSPerGB");
}

/** Rows for the floor table: each route's MB/s and CPU per GB, and the digests' own share. */
export function floorRows(floors) {
	const label = {
		drain: "body read and dropped (the zero)",
		sha512: "SHA-512 (the known-length floor)",
		"md5+sha512": "MD5 + SHA-512 (the unknown-length floor)",
	};
	return FLOOR_KINDS.map((kind) => [
		label[kind],
		cell(floors[kind].map((r) => r.mbps)),
		cell(floors[kind].map((r) => r.cpuSPerGB)),
		kind === "drain" ? "—" : digestCost(floors, kind).toFixed(2),
	]);
}

/**
 * The floor target for one upload figure: glance-edge's CPU per GB less the bare put's, against
 * `FLOOR_SLACK` × the digests' own. Returns {added, floor, ratio}.
 */
export function floorRatio(figure, floors, kind) {
	const added = med(figure.app, "cpuSPerGB") - med(figure.base, "cpuSPerGB");
	const floor = digestCost(floors, kind);
	return { added, floor, ratio: floor > 0 ? added / floor : Number.NaN };
}

/**
 * An upload figure against its least put measured beside its bare puts (`figure.least`: the
 * least hashing put for known length, the least chunked put for unknown length): glance-edge's
 * MB/s and CPU per GB over those. Returns the ratios and the least put's own medians.
 */
export function hashedPutRatios(figure) {
	const leastMbps = med(figure.least, "mbps");
	const leastCpu = med(figure.least, "cpuSPerGB");
	return {
		leastMbps,
		leastCpu,
		mbps: med(figure.app, "mbps") / leastMbps,
		cpu: med(figure.app, "cpuSPerGB") / leastCpu,
	};
}
