// @ts-check
// What the user sees on stderr: notes, errors, and progress — a redrawn bar on a terminal,
// a plain line every few seconds otherwise, nothing with --quiet.

const PREFIX = "glance-edge";
const TTY_REFRESH_MS = 200;
const LINE_INTERVAL_MS = 10_000;
const RATE_WINDOW_MS = 5_000;

/**
 * Where the UI writes: stderr, or anything with a `write` (tests); a terminal says so with
 * `isTTY` and gives its width in `columns`.
 * @typedef {{write(text: string): unknown, isTTY?: boolean, columns?: number}} TextStream
 */

/** @typedef {ReturnType<typeof createUi>} Ui */
/** @typedef {ReturnType<Ui["progress"]>} Meter */

/** Decimal units, as in "MB/s": 1 MB = 1,000,000 bytes. */
export function formatBytes(/** @type {number} */ bytes) {
	const units = ["B", "kB", "MB", "GB", "TB", "PB"];
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export function formatRate(/** @type {number} */ bytesPerSecond) {
	return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(/** @type {number} */ seconds) {
	if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
	const s = Math.round(seconds);
	const h = Math.floor(s / 3600);
	const m = Math.floor((s % 3600) / 60);
	const ss = String(s % 60).padStart(2, "0");
	return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/**
 * @param {{stream?: TextStream, quiet?: boolean, tty?: boolean, now?: () => number,
 *          lineIntervalMs?: number}} [options]
 */
export function createUi(options = {}) {
	const stream = options.stream ?? process.stderr;
	const quiet = Boolean(options.quiet);
	const tty = options.tty ?? Boolean(stream.isTTY);
	const now = options.now ?? Date.now;
	const lineIntervalMs = options.lineIntervalMs ?? LINE_INTERVAL_MS;
	/** The text currently drawn on the terminal's last line (TTY mode only). */
	let drawn = "";
	/**
	 * The meter or status line on screen, drawn again under each note.
	 * @type {{redraw(): void, stop(): unknown} | null}
	 */
	let active = null;

	function clearLine() {
		if (drawn) {
			stream.write("\r\x1b[K");
			drawn = "";
		}
	}

	function draw(/** @type {string} */ text) {
		const width = Math.max(20, (stream.columns ?? 80) - 1);
		const line = text.length > width ? text.slice(0, width) : text;
		stream.write(`\r${line}\x1b[K`);
		drawn = line;
	}

	function print(/** @type {string} */ line) {
		clearLine();
		stream.write(`${line}\n`);
		if (active) active.redraw();
	}

	const ui = {
		quiet,
		tty,
		/** An informational line (suppressed by --quiet). */
		note(/** @type {string} */ message) {
			if (!quiet) print(`${PREFIX}: ${message}`);
		},
		/** An error line: always shown. */
		error(/** @type {string} */ message) {
			print(`${PREFIX}: error: ${message}`);
		},
		/** Removes the progress line (before exiting). */
		clear() {
			if (active) active.stop();
			clearLine();
		},
		/**
		 * A progress meter over `total` bytes, `initial` of which are already done (a resumed
		 * transfer: counted in the percentage, not in the rate).
		 * @param {string} label
		 * @param {number} total
		 */
		progress(label, total, initial = 0) {
			if (active) active.stop();
			const meter = new Meter(label, total, initial);
			active = meter;
			return meter;
		},
		/** A status line with elapsed time, for waits without a byte count. */
		status(/** @type {string} */ label) {
			if (active) active.stop();
			const started = now();
			/** @type {NodeJS.Timeout | null} */
			let timer = null;
			const render = () => draw(`${label} ${formatDuration((now() - started) / 1000)}`);
			if (!quiet) {
				if (tty) {
					render();
					timer = setInterval(render, 1000);
					timer.unref();
				} else {
					stream.write(`${PREFIX}: ${label}\n`);
				}
			}
			const handle = {
				redraw() {
					if (tty && timer) render();
				},
				stop() {
					if (timer) clearInterval(timer);
					timer = null;
					if (active === handle) active = null;
					clearLine();
				},
				elapsedMs: () => now() - started,
			};
			active = handle;
			return handle;
		},
	};

	class Meter {
		/**
		 * @param {string} label
		 * @param {number} total
		 * @param {number} initial
		 */
		constructor(label, total, initial) {
			this.label = label;
			this.total = total;
			this.done = initial;
			this.initial = initial;
			this.started = now();
			this.samples = [[this.started, 0]];
			/** @type {NodeJS.Timeout | null} */
			this.timer = null;
			this.lastLine = this.started;
			if (quiet) return;
			if (tty) {
				this.timer = setInterval(() => this.tick(), TTY_REFRESH_MS);
				this.timer.unref();
				this.redraw();
			} else {
				// A log shows at once that the transfer started, not only 10 s later.
				const resumed = initial > 0 ? `, ${formatBytes(initial)} already there` : "";
				stream.write(`${PREFIX}: ${label} ${formatBytes(total)}${resumed}\n`);
				this.timer = setInterval(() => this.tick(), Math.min(lineIntervalMs, 1000));
				this.timer.unref();
			}
		}

		add(/** @type {number} */ bytes) {
			this.done += bytes;
		}

		/** Takes back bytes counted for an attempt that failed. */
		sub(/** @type {number} */ bytes) {
			this.done -= bytes;
		}

		/** Sets the count outright (a download restarted from another offset). */
		set(/** @type {number} */ bytes) {
			this.done = bytes;
		}

		/** Bytes moved in this run (not those done before a resume). */
		get transferred() {
			return this.done - this.initial;
		}

		rate() {
			const t = now();
			this.samples.push([t, this.transferred]);
			while (this.samples.length > 2 && t - this.samples[1][0] >= RATE_WINDOW_MS)
				this.samples.shift();
			const [t0, b0] = this.samples[0];
			const dt = (t - t0) / 1000;
			if (dt < 0.5) {
				const all = (t - this.started) / 1000;
				return all > 0 ? this.transferred / all : 0;
			}
			return Math.max(0, (this.transferred - b0) / dt);
		}

		text() {
			const rate = this.rate();
			const pct = this.total > 0 ? Math.min(100, Math.floor((this.done / this.total) * 100)) : 100;
			const eta = rate > 0 ? (this.total - this.done) / rate : Number.NaN;
			const sizes = `${formatBytes(this.done)} / ${formatBytes(this.total)}`;
			return { pct, rate, eta, sizes };
		}

		tick() {
			if (tty) return this.redraw();
			const t = now();
			if (t - this.lastLine < lineIntervalMs) return;
			this.lastLine = t;
			const { pct, rate, eta, sizes } = this.text();
			stream.write(
				`${PREFIX}: ${this.label} ${pct}% ${sizes}, ${formatRate(rate)}, ETA ${formatDuration(eta)}\n`,
			);
		}

		redraw() {
			if (quiet || !tty || this.stopped) return;
			const { pct, rate, eta, sizes } = this.text();
			const tail = ` ${String(pct).padStart(3)}% ${sizes}  ${formatRate(rate)}  ETA ${formatDuration(eta)}`;
			const width = Math.max(20, (stream.columns ?? 80) - 1);
			const barWidth = Math.min(30, width - this.label.length - tail.length - 3);
			let bar = "";
			if (barWidth >= 5) {
				const filled = Math.round((barWidth * pct) / 100);
				bar = ` [${"#".repeat(filled)}${"-".repeat(barWidth - filled)}]`;
			}
			draw(`${this.label}${bar}${tail}`);
		}

		/** Stops the meter; returns the summary of this run. */
		stop() {
			if (!this.stopped) {
				this.stopped = true;
				if (this.timer) clearInterval(this.timer);
				if (active === this) active = null;
				clearLine();
			}
			const seconds = Math.max(0.001, (now() - this.started) / 1000);
			return { seconds, bytes: this.transferred, rate: this.transferred / seconds };
		}
	}

	return ui;
}
