// What the e2e driver prints about `wrangler dev` when the suites fail: whether it still answers
// and how busy each of its processes is. A wedged server (every request hangs, nothing more in
// its log) has been seen in a few full runs and not reproduced on demand; this says on the next
// one whether the runtime was spinning (a process at 100 % of a core) or idle, waiting on
// something.

import fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const ANSWER_MS = 5_000;
const CPU_SAMPLE_MS = 2_000;

function ticksOf(pid) {
	const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return { group: Number(fields[2]), cpu: Number(fields[11]) + Number(fields[12]) };
}

/** Every process of group `pgid` with its command name and CPU ticks so far. */
function groupTicks(pgid) {
	const found = new Map();
	for (const entry of fs.readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const t = ticksOf(entry);
			if (t.group !== pgid) continue;
			const comm = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
			found.set(Number(entry), { comm, cpu: t.cpu });
		} catch {
			// Gone while we looked.
		}
	}
	return found;
}

/** Each process's share of one core over a short sample: "workerd 1234: 98 %". */
async function cpuShares(pgid) {
	if (!fs.existsSync("/proc/self/stat")) return ["(no /proc: CPU not sampled)"];
	const before = groupTicks(pgid);
	await sleep(CPU_SAMPLE_MS);
	const after = groupTicks(pgid);
	const ticksPerSecond = 100; // USER_HZ on Linux
	return [...after].map(([pid, { comm, cpu }]) => {
		const used = cpu - (before.get(pid)?.cpu ?? cpu);
		const share = (used / ticksPerSecond / (CPU_SAMPLE_MS / 1000)) * 100;
		return `${comm} ${pid}: ${share.toFixed(0)} % of a core`;
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
