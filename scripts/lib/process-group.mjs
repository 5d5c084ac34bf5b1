// Helpers for the dev servers the e2e tests and the benchmark start: each `wrangler dev` runs in
// its own process group and is stopped with a signal to the whole group, because killing only
// npx leaves workerd serving the port. Also the bookkeeping that finds a group's processes and
// reads their CPU from Linux /proc (elsewhere the callers report it as unavailable).

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A loopback port nothing listens on right now. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.unref();
		probe.on("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const { port } = probe.address();
			probe.close(() => resolve(port));
		});
	});
}

/** Two distinct free ports (the server's and its inspector's). */
export async function freePorts() {
	const port = await freePort();
	let second = await freePort();
	while (second === port) second = await freePort();
	return [port, second];
}

/** True while any process of the group is alive. */
function groupAlive(pgid) {
	try {
		process.kill(-pgid, 0);
		return true;
	} catch (err) {
		return err.code === "EPERM";
	}
}

/** Sends `signal` to the group; a group that is already gone is not an error. */
export function signalGroup(pgid, signal) {
	try {
		process.kill(-pgid, signal);
	} catch (err) {
		if (err.code !== "ESRCH") throw err;
	}
}

/**
 * SIGTERM, then SIGKILL after `graceMs` if anything is left; waits for the group to be gone.
 * Resolves true when SIGKILL was needed.
 */
export async function stopGroup(pgid, graceMs = 5_000) {
	signalGroup(pgid, "SIGTERM");
	const deadline = Date.now() + graceMs;
	while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
	if (!groupAlive(pgid)) return false;
	signalGroup(pgid, "SIGKILL");
	const killDeadline = Date.now() + 2_000;
	while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
	return true;
}

// ---- /proc bookkeeping (Linux) ----

export const HAVE_PROC = fs.existsSync("/proc/self/stat");

/** Fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid) {
	const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
	return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** Every process of the group `pgid`, with its command name. */
export function groupProcesses(pgid) {
	if (!HAVE_PROC || !pgid) return [];
	const found = [];
	for (const entry of fs.readdirSync("/proc")) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			// Field 5 of stat is the process group; index 2 after the name.
			if (Number(statFields(entry)[2]) !== pgid) continue;
			const comm = fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim();
			found.push({ pid: Number(entry), comm });
		} catch {
			// The process ended while we looked.
		}
	}
	return found;
}

/** Clock ticks per second of the /proc CPU counters. */
export const CLOCK_TICKS = (() => {
	if (!HAVE_PROC) return 100;
	const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
	return Number(out.stdout) > 0 ? Number(out.stdout) : 100;
})();

/** CPU seconds used so far by `pids` (user + system), or NaN without /proc. */
export function cpuSeconds(pids) {
	return HAVE_PROC ? cpuTicks(pids) / CLOCK_TICKS : Number.NaN;
}

/** CPU ticks used so far by `pids` (user + system). */
export function cpuTicks(pids) {
	let total = 0;
	for (const pid of pids) {
		try {
			const f = statFields(pid);
			// utime and stime are fields 14 and 15 of stat: indexes 11 and 12 after the name.
			total += Number(f[11]) + Number(f[12]);
		} catch {
			// Gone.
		}
	}
	return total;
}
