// @ts-check
// `glance-edge download`: stream an image into <file>.part (resumed with Range when it exists
// or when the connection drops), check its MD5 and SHA-512, then rename it to <file>.

import fs from "node:fs";
import fsp from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
	describeNetworkError,
	errorCode,
	networkFailure,
	refused,
	usageError,
	verifyFailed,
} from "./errors.mjs";
import { digestFile, sizeOf } from "./files.mjs";
import { AttemptFailure, drain, imageFromHeaders, isRetryableStatus } from "./http.mjs";
import { withRetries } from "./retry.mjs";
import { formatBytes, formatRate } from "./ui.mjs";

/**
 * @typedef {import("./files.mjs").Digests} Digests
 * @typedef {import("./http.mjs").Client} Client
 * @typedef {import("./http.mjs").Image} Image
 * @typedef {import("./ui.mjs").Ui} Ui
 * @typedef {{id: string, file: string}} DownloadOptions
 */

/**
 * A complete <file>.part: what it holds and what the server says it should hold.
 * @typedef {object} Fetched
 * @property {Image} image
 * @property {number} size
 * @property {{md5: string, sha512: string, bytes: number}} got
 * @property {{md5: string | null, sha512: string | null}} expected
 * @property {boolean} sha512Checked
 * @property {number} transferred bytes received in this run
 */

/** No byte received for this long: the download is stuck; resume it on a new connection. */
const STALL_MS = 60_000;

/** `bytes <start>-<end>/<total>` → {start, end, total}, or null. */
export function parseContentRange(/** @type {string | null} */ value) {
	const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? "");
	if (!m) return null;
	return { start: Number(m[1]), end: Number(m[2]), total: m[3] === "*" ? null : Number(m[3]) };
}

function unquoteEtag(/** @type {string | null} */ etag) {
	if (!etag) return null;
	return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/**
 * @param {DownloadOptions} opts
 * @param {import("./http.mjs").Context} ctx
 * @returns the image (from the response headers)
 */
export async function download(opts, { client, ui }) {
	const { id, file } = opts;
	const partPath = `${file}.part`;
	const started = Date.now();
	let resumedFrom = (await localSize(partPath)) ?? 0;
	let result;
	for (let pass = 0; ; pass++) {
		result = await fetchToPart(client, ui, id, partPath, resumedFrom);
		const problems = mismatches(result);
		if (problems.length === 0) break;
		await fsp.rm(partPath, { force: true });
		if (resumedFrom > 0 && pass === 0) {
			ui.note(
				`the resumed download of image ${id} does not verify (${problems[0]}); downloading it again from the start`,
			);
			resumedFrom = 0;
			continue;
		}
		throw verifyFailed(`download of image ${id} does not verify: ${problems.join("; ")}`, {
			image: result.image,
		});
	}
	try {
		await fsp.rename(partPath, file);
	} catch (err) {
		throw usageError(`cannot rename ${partPath} to ${file}: ${errorCode(err)}`);
	}
	const seconds = (Date.now() - started) / 1000;
	const moved = result.transferred;
	ui.note(
		`image ${id} saved to ${file}: ${formatBytes(result.size)}, ${result.sha512Checked ? "md5 and sha512" : "md5"} verified (${seconds.toFixed(1)} s, ${formatRate(moved / Math.max(seconds, 0.001))})`,
	);
	return result.image;
}

async function localSize(/** @type {string} */ path) {
	try {
		return await sizeOf(path);
	} catch (err) {
		throw usageError(`cannot read ${path}: ${errorCode(err)}`);
	}
}

async function truncate(/** @type {string} */ path) {
	try {
		await fsp.writeFile(path, "");
	} catch (err) {
		throw usageError(`cannot write ${path}: ${errorCode(err)}`);
	}
}

function mismatches(/** @type {Fetched} */ { size, got, expected }) {
	const problems = [];
	if (got.bytes !== size) problems.push(`${got.bytes} bytes received, ${size} expected`);
	if (expected.md5 && got.md5 !== expected.md5) {
		problems.push(`md5 ${got.md5} here, ${expected.md5} on the server`);
	}
	if (expected.sha512 && got.sha512 !== expected.sha512) {
		problems.push(
			`sha512 ${got.sha512.slice(0, 16)}… here, ${expected.sha512.slice(0, 16)}… on the server`,
		);
	}
	return problems;
}

/**
 * Brings <file>.part to the image's full length, appending from its current length, retrying
 * (with Range) when the connection fails. Returns the digests of the whole file and what the
 * server says they should be.
 * @param {Client} client
 * @param {Ui} ui
 * @param {string} id
 * @param {string} partPath
 * @param {number} initialOffset
 * @returns {Promise<Fetched>}
 */
async function fetchToPart(client, ui, id, partPath, initialOffset) {
	const what = `downloading image ${id}`;
	const path = `/v1/images/${encodeURIComponent(id)}`;
	/**
	 * Digests of the bytes in partPath so far; null when they must be read from disk again.
	 * @type {Digests | null}
	 */
	let digests = null;
	/** @type {import("./ui.mjs").Meter | null} */
	let meter = null;
	/** @type {string | null} */
	let etag = null;
	let transferred = 0;
	/** Bytes the current attempt received: a failure after some is progress, not a dead end. */
	let received = 0;

	// A fresh start: whatever <file>.part holds is not to be trusted.
	if (initialOffset === 0) await truncate(partPath);
	try {
		return await withRetries(attempt, {
			...client.retrying(what, { verb: "resuming" }),
			progressed: () => received > 0,
		});
	} catch (err) {
		if (!(err instanceof AttemptFailure)) throw err;
		if (err.res) await drain(err.res);
		throw networkFailure(`${what}: ${err.message} (${err.attempts} attempts)`, {
			cause: err.cause,
		});
	}

	/** One GET from the current end of partPath (a few when the server does not honour Range). */
	async function attempt(/** @type {number} */ n) {
		for (;;) {
			received = 0;
			const offset = (await localSize(partPath)) ?? 0;
			if (digests && digests.bytes !== offset) digests = null;

			/** @type {Record<string, string>} */
			const headers = { "Accept-Encoding": "identity" };
			if (offset > 0) headers.Range = `bytes=${offset}-`;
			const stall = new AbortController();
			let lastActivity = Date.now();
			const timer = setInterval(() => {
				if (Date.now() - lastActivity > STALL_MS) stall.abort(new Error("the download stalled"));
			}, 1000);
			timer.unref();
			try {
				let res;
				try {
					res = await client.send("GET", path, { headers, signal: stall.signal, timeoutMs: 0 });
				} catch (err) {
					throw new AttemptFailure(describeNetworkError(err), { cause: err });
				}
				if (res.status === 416 && offset > 0) {
					// <file>.part is as long as the image (or longer): check against HEAD.
					await drain(res);
					const head = await client.headImage(id);
					if (!head) throw refused(`${what}: image ${id} was not found`);
					if (head.size === offset) {
						digests ??= await digestFile(partPath, { length: offset });
						return finish(head, offset, digests, 0);
					}
					await truncate(partPath);
					digests = null;
					continue;
				}
				if (isRetryableStatus(res.status)) throw new AttemptFailure(`HTTP ${res.status}`, { res });
				if (!res.ok) throw await client.failure(what, res);

				const image = imageFromHeaders(res.headers);
				etag = unquoteEtag(res.headers.get("etag"));
				let start = 0;
				let size;
				if (res.status === 206) {
					const range = parseContentRange(res.headers.get("content-range"));
					if (!range || range.start !== offset) {
						// Not the range asked for: start over without one.
						await drain(res);
						await truncate(partPath);
						digests = null;
						continue;
					}
					start = range.start;
					size = range.total ?? image.size ?? null;
				} else {
					// 200: the whole image (the server ignored or was not sent a Range).
					if (offset > 0) {
						await truncate(partPath);
						digests = null;
					}
					const length = res.headers.get("content-length");
					size = length !== null ? Number(length) : (image.size ?? null);
				}
				if (size === null) throw refused(`${what}: the server did not say how large the image is`);
				if (!digests) digests = await digestFile(partPath, { length: start });
				if (!meter) meter = ui.progress("downloading", size, start);
				else meter.set(start);
				if (start > 0 && n === 0) {
					ui.note(`resuming the download of image ${id} at ${formatBytes(start)}`);
				}

				const hashing = digests;
				const counting = meter;
				let writeError = /** @type {NodeJS.ErrnoException | null} */ (null);
				const out = fs.createWriteStream(partPath, { flags: "a" });
				out.on("error", (err) => {
					writeError = err;
				});
				const counter = new Transform({
					transform(chunk, _enc, done) {
						lastActivity = Date.now();
						received += chunk.length;
						hashing.update(chunk);
						counting.add(chunk.length);
						done(null, chunk);
					},
				});
				try {
					const body = res.body ? Readable.fromWeb(res.body) : Readable.from([]);
					await pipeline(body, counter, out);
				} catch (err) {
					transferred += received;
					digests = null; // some hashed bytes may not have reached the disk
					meter.sub(received);
					if (writeError) {
						throw usageError(`cannot write ${partPath}: ${errorCode(writeError)}`);
					}
					throw new AttemptFailure(describeNetworkError(err), { cause: err });
				}
				transferred += received;
				if (start + received < size) {
					// The server ended the body early: resume from what we have.
					throw new AttemptFailure(`the connection closed after ${formatBytes(start + received)}`);
				}
				return finish(image, size, digests, transferred);
			} finally {
				clearInterval(timer);
			}
		}
	}

	/**
	 * @param {Image} img
	 * @param {number} total
	 * @param {Digests} d
	 * @param {number} moved
	 * @returns {Fetched}
	 */
	function finish(img, total, d, moved) {
		meter?.stop();
		const got = d.digest();
		const md5 = img.checksum ?? etag ?? null;
		const algo = (img.os_hash_algo ?? "sha512").toLowerCase();
		const sha512 = algo === "sha512" ? (img.os_hash_value ?? null) : null;
		if (!md5) ui.note(`the server reports no checksum for image ${id}: only the size is checked`);
		else if (!sha512) ui.note(`the server reports no sha512 for image ${id}: md5 checked only`);
		return {
			image: img,
			size: total,
			got,
			expected: { md5, sha512 },
			sha512Checked: Boolean(sha512),
			transferred: moved,
		};
	}
}
