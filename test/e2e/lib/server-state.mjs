// What the e2e driver prints about `wrangler dev` when the suites fail: whether it still answers
// and how busy each of its processes is. A wedged server (every request hangs, nothing more in
// its log) has been seen in a few full runs and not reproduced on demand; this says on the next
// one whether the runtime was spinning (a process at 100 % of a core) or idle, waiting on
// something.

import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import {
	CLOCK_TICKS,
	cpuTicks,
	groupProcesses,
	HAVE_PROC,
} from "../../../scripts/lib/process-group.mjs";

const ANSWER_MS = 5_000;
const CPU_SAMPLE_MS = 2_000;

/** Each process's share of one core over a short sample: "workerd 1234: 98 % of a core". */
async function cpuShares(pgid) {
	if (!HAVE_PROC) return ["(no /proc: CPU not sampled)"];
	const procs = groupProcesses(pgid);
	const before = procs.map((p) => cpuTicks([p.pid]));
	await sleep(CPU_SAMPLE_MS);
	return procs.map((p, i) => {
		const seconds = (cpuTicks([p.pid]) - before[i]) / CLOCK_TICKS;
		return `${p.comm} ${p.pid}: ${((seconds / (CPU_SAMPLE_MS / 1000)) * 100).toFixed(0)} % of a core`;
	});
}

async function answers(url) {
	const started = Date.now();
	try {
		const res = await fetch(`${url}/versions`, { signal: AbortSignal.timeout(ANSWER_MS) });
		await res.arrayBuffer();
		return { ok: true, line: `GET /versions answered ${res.status} in ${Date.now() - started} ms` };
	} catch (err) {
		return {
			ok: false,
			line: `GET /versions got no answer within ${ANSWER_MS / 1000} s (${err.cause?.code ?? err.name})`,
		};
	}
}

/** Lines that say what state `wrangler dev` (process group `pgid`) is in. */
export async function describeServer({ url, pgid }) {
	const reply = await answers(url);
	return [reply.line, ...(await cpuShares(pgid))];
}

/** The last `lines` lines of a log file, or a sentence saying there is none. */
export function logTail(file, lines) {
	if (!file || !fs.existsSync(file)) return "(no wrangler log)";
	const all = fs.readFileSync(file, "utf8").trimEnd().split("\n");
	return all.slice(-lines).join("\n") || "(wrangler log is empty)";
}
