// Starting and stopping `wrangler dev` for the benchmark, the way test/e2e/run.mjs does it: each
// server in its own process group on a free loopback port with its own --persist-to state, always
// stopped with a signal to the whole group (killing only npx leaves workerd serving the port).
// Also: the process-group bookkeeping the memory and CPU figures need (Linux /proc; elsewhere
// those figures are reported as unavailable).

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
	cpuSeconds,
	cpuTicks,
	freePorts,
	groupProcesses,
	HAVE_PROC,
	signalGroup,
	stopGroup,
} from "../../scripts/lib/process-group.mjs";

export { cpuSeconds, groupProcesses, HAVE_PROC };

/**
 * The environment for every wrangler the benchmark starts. `logPath` becomes WRANGLER_LOG_PATH:
 * wrangler writes a debug entry for every devtools event of the worker (four per D1 query) to
 * its debug log whatever --log-level says, by default under the user's config directory, where
 * a benchmark run would leave hundreds of MB; the benchmark keeps them in its temp dir.
 */

export function wranglerEnv(logPath) {
	return {
		...process.env,
		WRANGLER_SEND_METRICS: "false",
		CLOUDFLARE_CF_FETCH_ENABLED: "false",
		WRANGLER_HIDE_BANNER: "true",
		...(logPath ? { WRANGLER_LOG_PATH: logPath } : {}),
	};
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** Runs `npx <args>` to completion, output appended to `logPath`; resolves with its output. */
export function npx(args, { cwd, logPath, debugLogPath }) {
	return new Promise((resolve, reject) => {
		const child = spawn("npx", args, {
			cwd,
			env: wranglerEnv(debugLogPath),
			stdio: ["ignore", "pipe", "pipe"],
		});
		let output = "";
		const collect = (data) => {
			output += data;
		};
		child.stdout.on("data", collect);
		child.stderr.on("data", collect);
		child.on("error", reject);
		child.on("exit", (code, signal) => {
			fs.appendFileSync(logPath, `$ npx ${args.join(" ")}\n${output}\n`);
			if (code === 0) resolve(output);
			else reject(new Error(`npx ${args.join(" ")} failed (${code ?? signal}); see ${logPath}`));
		});
	});
}

/** `wrangler dev` with the DevTools inspector off (see dev-worker.mjs for why). */
const DEV_WORKER = path.join(import.meta.dirname, "dev-worker.mjs");

/**
 * A `wrangler dev` server in its own process group. `inspector: false` starts it through
 * dev-worker.mjs, the same runtime without the DevTools inspector; `true` runs `wrangler dev`.
 */
export class DevServer {
	constructor(name, { cwd, args, logPath, debugLogPath, readyPath, inspector = true }) {
		this.name = name;
		this.inspector = inspector;
		this.cwd = cwd;
		this.args = args;
		this.logPath = logPath;
		this.debugLogPath = debugLogPath;
		this.readyPath = readyPath;
		this.child = null;
		this.exited = false;
		this.url = null;
	}

	async start() {
		const [port, inspectorPort] = await freePorts();
		this.url = `http://127.0.0.1:${port}`;
		const common = [
			...this.args,
			"--ip",
			"127.0.0.1",
			"--port",
			String(port),
			// wrangler's own output: only errors (the worker's log lines are not printed either).
			"--log-level",
			"error",
		];
		const [command, args] = this.inspector
			? [
					"npx",
					// Not the default 9229, which a concurrent `wrangler dev` or vitest run may hold.
					["wrangler", "dev", ...common, "--inspector-port", String(inspectorPort)],
				]
			: [process.execPath, [DEV_WORKER, ...common]];
		const fd = fs.openSync(this.logPath, "a");
		fs.writeSync(fd, `$ ${command} ${args.join(" ")}\n`);
		this.child = spawn(command, args, {
			cwd: this.cwd,
			env: wranglerEnv(this.debugLogPath),
			stdio: ["ignore", fd, fd],
			detached: true, // own process group: npx, wrangler and workerd are stopped together
		});
		fs.closeSync(fd);
		this.child.on("exit", () => {
			this.exited = true;
		});
		this.child.on("error", () => {
			this.exited = true;
		});
		await this.waitUntilReady();
	}

	async waitUntilReady() {
		const deadline = Date.now() + READY_TIMEOUT_MS;
		let last = "no answer yet";
		while (Date.now() < deadline) {
			if (this.exited) throw new Error(`${this.name}: wrangler dev exited (see ${this.logPath})`);
			try {
				const res = await fetch(`${this.url}${this.readyPath}`, {
					signal: AbortSignal.timeout(2_000),
				});
				await res.arrayBuffer();
				if (res.status === 200) return;
				last = `GET ${this.readyPath} answered ${res.status}`;
			} catch (err) {
				last = err.cause?.code ?? err.message;
			}
			await sleep(200);
		}
		throw new Error(`${this.name}: not ready after ${READY_TIMEOUT_MS / 1000} s (${last})`);
	}

	get pgid() {
		return this.child?.pid;
	}

	async stop() {
		if (this.pgid) await stopGroup(this.pgid, STOP_GRACE_MS);
		this.child = null;
	}

	/** Last resort from a synchronous exit handler. */
	killNow() {
		if (this.pgid) signalGroup(this.pgid, "SIGKILL");
	}
}

// ---- /proc bookkeeping (Linux) ----

/** Resident set size of a process in bytes, or 0 if it is gone. */
export function rssBytes(pid) {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
		const kb = /^VmRSS:\s+(\d+) kB/m.exec(status);
		return kb ? Number(kb[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

/** Samples the summed RSS of `pids` every `intervalMs` until stopped: before / peak / after. */
export class RssSampler {
	constructor(pids, intervalMs = 50) {
		this.pids = pids;
		this.intervalMs = intervalMs;
		this.peak = 0;
		this.timer = null;
	}

	now() {
		return this.pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
	}

	start() {
		this.before = this.now();
		this.peak = this.before;
		this.timer = setInterval(() => {
			this.peak = Math.max(this.peak, this.now());
		}, this.intervalMs);
	}

	/** Stops sampling; `after` is taken `settleMs` later, once the runtime has had time to let go. */
	async stop(settleMs = 1_000) {
		clearInterval(this.timer);
		this.peak = Math.max(this.peak, this.now());
		await sleep(settleMs);
		this.after = this.now();
		return { before: this.before, peak: this.peak, after: this.after };
	}
}

/** Busy and total ticks of all CPUs, from /proc/stat. */
function machineTicks() {
	const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
	const v = line.trim().split(/\s+/).slice(1).map(Number);
	const idle = v[3] + (v[4] ?? 0);
	const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
	return { busy: total - idle, total };
}

/**
 * Measures how much CPU processes other than ours used over an interval: the noise from other
 * work on the machine, as a share of all its cores. `ourPids()` is re-read at each end.
 */
export class ForeignCpu {
	constructor(ourPids) {
		this.ourPids = ourPids;
	}

	begin() {
		if (!HAVE_PROC) return;
		this.start = { machine: machineTicks(), ours: cpuTicks(this.ourPids()) };
	}

	/** Share (0..1) of all cores used by other processes since begin(), or null. */
	end() {
		if (!HAVE_PROC || !this.start) return null;
		const machine = machineTicks();
		const ours = cpuTicks(this.ourPids());
		const total = machine.total - this.start.machine.total;
		if (total <= 0) return null;
		const foreign = machine.busy - this.start.machine.busy - (ours - this.start.ours);
		return Math.max(0, foreign / total);
	}
}
