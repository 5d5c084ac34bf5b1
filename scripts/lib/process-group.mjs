// Helpers for the dev servers the e2e tests and the benchmark start: each `wrangler dev` runs in
// its own process group and is stopped with a signal to the whole group, because killing only
// npx leaves workerd serving the port.

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
