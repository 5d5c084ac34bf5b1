// @ts-check
// `glance-edge upload`: register the image, upload the file in parts through an upload session
// (parallel, retried, resumable) while hashing it locally, complete with our digests, wait for
// the server's verification and check its digests against ours.

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
	asError,
	CliError,
	causeOf,
	describeNetworkError,
	EXIT,
	errorCode,
	networkFailure,
	refused,
	usageError,
	verifyFailed,
} from "./errors.mjs";
import { digestFile, StateFile } from "./files.mjs";
import { AttemptFailure, drain, errorMessage, isRetryableStatus } from "./http.mjs";
import { withRetries } from "./retry.mjs";
import { formatBytes, formatRate } from "./ui.mjs";

/**
 * @typedef {import("./http.mjs").Client} Client
 * @typedef {import("./http.mjs").Image} Image
 * @typedef {import("./ui.mjs").Ui} Ui
 */

/**
 * @typedef {object} UploadOptions
 * @property {string} file
 * @property {string} [id] a queued image to upload into, instead of registering one
 * @property {string} [name] required without `id`, like the two formats
 * @property {string} [diskFormat]
 * @property {string} [containerFormat]
 * @property {Record<string, string>} properties
 * @property {boolean} isPublic
 * @property {number} [minDisk]
 * @property {number} [minRam]
 * @property {number} parallel
 * @property {number} verifyTimeoutMs
 * @property {string} [stateDir] where the resume state goes instead of beside the file
 * @property {boolean} [viaImport] through Image API v2's import instead (import.mjs)
 */

/**
 * An upload session as GET and POST …/upload-session answer it (`{"session": …}`).
 * @typedef {object} Session
 * @property {number} size
 * @property {number} part_size
 * @property {number} part_count
 * @property {number[]} parts the part numbers stored so far
 * @property {string} [state] "open" until completed
 * @property {string} [checksum] MD5 the data must have
 * @property {string} [os_hash_value] SHA-512 the data must have
 */

/** @typedef {{md5: string, sha512: string}} FileDigests */

/**
 * Where the image id came from. "id": given with --id; "state": from the state file; "new":
 * registered by this run.
 * @typedef {"id" | "state" | "new"} Origin
 */

/**
 * What obtainSession found: a session to upload into, nothing left to upload (saving: the
 * server is verifying the data; active: it is done), or a dead end for this image.
 * @typedef {{session: Session} | {saving: true} | {active: Image}
 *   | {restart: true, error: CliError}} Obtained
 */

/** No byte read from the file into the request for this long: the connection is stuck. */
const PART_STALL_MS = 60_000;
/** All bytes of a part sent, no answer for this long: give up on this attempt. */
const PART_ANSWER_MS = 300_000;
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5_000;
/**
 * A status poll answers in milliseconds; one that has not in this long is asked again rather
 * than waited for (under `wrangler dev`, a request that arrives while the queue consumer is
 * verifying is never answered).
 */
const POLL_REQUEST_TIMEOUT_MS = 5_000;

const sessionPath = (/** @type {string} */ id) =>
	`/v1/images/${encodeURIComponent(id)}/upload-session`;

/**
 * Byte range [start, end) of part n (1-based).
 * @param {Session} session
 * @param {number} n
 */
export function partRange(session, n) {
	const start = (n - 1) * session.part_size;
	return { start, end: Math.min(n * session.part_size, session.size) };
}

/** Part numbers not yet stored, ascending. */
export function missingParts(/** @type {Session} */ session) {
	const stored = new Set(session.parts ?? []);
	const missing = [];
	for (let n = 1; n <= session.part_count; n++) if (!stored.has(n)) missing.push(n);
	return missing;
}

/**
 * @param {UploadOptions} opts
 * @param {import("./http.mjs").Context} ctx
 * @returns the final (active) image
 */
export async function upload(opts, { client, ui }) {
	const { file } = opts;
	let stat;
	try {
		stat = await fsp.stat(file);
	} catch (err) {
		throw usageError(`cannot read ${file}: ${errorCode(err)}`);
	}
	if (!stat.isFile()) throw usageError(`${file} is not a regular file`);
	if (stat.size === 0) throw usageError(`${file} is empty: there is nothing to upload`);
	try {
		await fsp.access(file, fs.constants.R_OK);
	} catch (err) {
		throw usageError(`cannot read ${file}: ${errorCode(err)}`);
	}
	const size = stat.size;
	const state = new StateFile(file, ui, opts.stateDir);
	const fileKey = { url: client.baseUrl, size, mtime_ms: stat.mtimeMs };

	// A state file from an earlier run on this very file (same server, size and mtime) gives
	// the image to resume and saves hashing the file again.
	let saved = await state.read();
	if (saved) {
		const sameFile = saved.size === size && saved.mtime_ms === stat.mtimeMs;
		if (saved.url !== client.baseUrl) {
			ui.note(`ignoring ${state.path}: it is for another server (${saved.url})`);
			saved = null;
		} else if (!sameFile) {
			ui.note(
				`${file} changed since the interrupted upload of image ${saved.image_id}; starting over`,
			);
			if (saved.image_id !== opts.id) await discardSession(client, saved.image_id);
			saved = null;
		}
	}

	// The file is hashed while its parts are sent (a second sequential read, from the page cache
	// mostly), not before: the upload does not wait for a pass over the whole file. A resumed
	// upload whose state file has the digests does not hash again.
	/** @type {FileDigests | null} */
	let digests = saved?.md5 && saved?.sha512 ? { md5: saved.md5, sha512: saved.sha512 } : null;
	/** @type {Promise<FileDigests>} */
	const hashing = digests
		? Promise.resolve(digests)
		: digestFile(file).then((d) => {
				const result = d.digest();
				if (result.bytes !== size) throw usageError(`${file} changed while it was being read`);
				return { md5: result.md5, sha512: result.sha512 };
			});
	// Failures surface where the digests are awaited; until then they must not go unhandled.
	hashing.catch(() => {});

	let imageId = opts.id ?? saved?.image_id ?? null;
	/** @type {Origin} */
	let origin = opts.id ? "id" : imageId ? "state" : "new";
	if (origin === "state") ui.note(`resuming the upload of image ${imageId}`);
	const saveState = (/** @type {string} */ id) =>
		state.write({ ...fileKey, image_id: id, ...(digests ?? {}) });

	const started = Date.now();
	/** Bytes sent and seconds spent sending them, in this run. */
	const sent = { bytes: 0, seconds: 0 };
	let outcome;
	for (let round = 0; ; round++) {
		if (round >= 6) throw refused(`could not get an upload session for image ${imageId}`);
		if (!imageId) {
			imageId = randomUUID();
			origin = "new";
			// Saved first: a registration whose answer is lost may still have created the image.
			await saveState(imageId);
		} else {
			await saveState(imageId);
		}
		try {
			if (origin === "new") await register(client, imageId, opts);
			outcome = await obtainSession(client, imageId, origin, size, digests);
		} catch (err) {
			// Refused (a bad token, a registration or session the server will not take): there is
			// nothing to resume, and a re-run must not "resume" an image that never existed.
			if (origin === "new" && err instanceof CliError && err.exitCode === EXIT.REFUSED) {
				await state.remove();
			}
			throw err;
		}
		if ("restart" in outcome) {
			if (origin === "id") throw outcome.error;
			ui.note(`${outcome.error.message}; registering a new image`);
			imageId = null;
			continue;
		}
		break;
	}

	if ("session" in outcome) {
		let session = outcome.session;
		for (let round = 0; ; round++) {
			const missing = missingParts(session);
			if (missing.length > 0) {
				const summary = await uploadParts(client, ui, {
					id: imageId,
					file,
					session,
					missing,
					parallel: opts.parallel,
				});
				sent.bytes += summary.bytes;
				sent.seconds += summary.seconds;
			}
			await checkUnchanged(file, stat);
			const ours = await hashing;
			digests = ours;
			// Kept for a re-run, which then declares them when it resumes.
			await saveState(imageId);
			checkSession(session, imageId, size, ours);
			const incomplete = await complete(client, imageId, ours);
			if (!incomplete) break;
			// 400 from complete: the server misses parts; send them and complete again.
			if (round >= 2) {
				throw refused(`the server keeps refusing to complete the upload of image ${imageId}`);
			}
			ui.note(`the server misses ${missingParts(incomplete).length} part(s); sending them again`);
			session = checkSession(incomplete, imageId, size, ours);
		}
	}

	const local = digests ?? (await hashing);
	const image =
		"active" in outcome
			? outcome.active
			: await waitForVerification(client, ui, imageId, opts.verifyTimeoutMs);
	if (image.status === "killed") {
		await state.remove();
		const reason = image.status_reason ? `: ${image.status_reason}` : " (no reason given)";
		throw verifyFailed(`image ${imageId} was killed by the server's verification${reason}`, {
			image,
		});
	}
	const problems = compareDigests(image, size, local);
	if (problems.length > 0) {
		await state.remove();
		throw verifyFailed(`image ${imageId} does not match ${file}: ${problems.join("; ")}`, {
			image,
		});
	}
	await state.remove();
	const seconds = (Date.now() - started) / 1000;
	const speed =
		sent.bytes > 0
			? `, ${formatBytes(sent.bytes)} sent at ${formatRate(sent.bytes / sent.seconds)}`
			: "";
	ui.note(
		`image ${imageId} is active: ${formatBytes(size)}, md5 and sha512 verified (${seconds.toFixed(1)} s${speed})`,
	);
	return image;
}

/**
 * @param {Client} client
 * @param {string} id
 * @param {UploadOptions} opts
 */
async function register(client, id, opts) {
	/** @type {Record<string, unknown>} */
	const body = {
		id,
		name: opts.name,
		disk_format: opts.diskFormat,
		container_format: opts.containerFormat,
	};
	if (Object.keys(opts.properties).length > 0) body.properties = opts.properties;
	if (opts.isPublic) body.is_public = true;
	if (opts.minDisk !== undefined) body.min_disk = opts.minDisk;
	if (opts.minRam !== undefined) body.min_ram = opts.minRam;
	const what = "registering the image";
	const res = await client.call("POST", "/v1/images", { what, json: body });
	if (res.ok) return drain(res);
	if (res.status === 409) {
		// A retried registration whose first attempt did get through: the id is ours (random).
		const failure = await client.failure(what, res);
		const image = await client.headImage(id);
		if (image?.status === "queued" && image.name === opts.name) return;
		throw failure;
	}
	throw await client.failure(what, res);
}

/**
 * GET the open session, or null when there is none (404).
 * @param {Client} client
 * @param {string} id
 */
async function readSession(client, id) {
	const what = `reading the upload session of image ${id}`;
	const res = await client.call("GET", sessionPath(id), { what });
	if (res.status === 404) {
		await drain(res);
		return null;
	}
	if (!res.ok) throw await client.failure(what, res);
	return sessionOf(await res.json(), what);
}

/** @returns {value is number} */
const isSafeInteger = (/** @type {unknown} */ value) => Number.isSafeInteger(value);

/**
 * The session in an answer, checked as far as the upload relies on it.
 * @param {unknown} body any JSON
 * @param {string} what
 * @returns {Session}
 */
function sessionOf(body, what) {
	const s = /** @type {{session?: {[K in keyof Session]?: unknown}} | null} */ (body)?.session;
	if (
		!s ||
		!isSafeInteger(s.size) ||
		!isSafeInteger(s.part_size) ||
		s.part_size <= 0 ||
		!isSafeInteger(s.part_count) ||
		!Array.isArray(s.parts)
	) {
		throw networkFailure(`${what}: the server's answer is not an upload session`);
	}
	return /** @type {Session} */ (s);
}

/**
 * Finds or opens the session to upload into. Returns {session}, {saving: true} (already
 * completed, being verified), {active: image}, or {restart, error} when the image can no
 * longer take data (gone or killed).
 * @param {Client} client
 * @param {string} id
 * @param {Origin} origin
 * @param {number} size
 * @param {FileDigests | null} digests null while the file is still being hashed
 * @returns {Promise<Obtained>}
 */
async function obtainSession(client, id, origin, size, digests) {
	for (let round = 0; round < 4; round++) {
		if (origin !== "new" || round > 0) {
			const existing = await readSession(client, id);
			if (existing) return resumable(existing, id, size, digests);
		}
		const what = `opening an upload session for image ${id}`;
		const res = await client.call("POST", sessionPath(id), {
			what,
			json: digests ? { size, checksum: digests.md5, os_hash_value: digests.sha512 } : { size },
		});
		if (res.ok) return resumable(sessionOf(await res.json(), what), id, size, digests);
		if (res.status !== 409 && res.status !== 404) throw await client.failure(what, res);
		// 409: a session is open (resume it) or the image is not queued; 404: no such image.
		const refusal = await client.failure(what, res);
		const existing = await readSession(client, id);
		if (existing) return resumable(existing, id, size, digests);
		const image = await client.headImage(id);
		const status = image?.status;
		if (!image || !status) return { restart: true, error: refused(`image ${id} was not found`) };
		if (status === "saving") return { saving: true };
		if (status === "active") return { active: image };
		if (status === "queued") continue; // the session closed in between: open another
		if (status === "killed") {
			const reason = image.status_reason ? ` (${image.status_reason})` : "";
			return {
				restart: true,
				error: verifyFailed(`image ${id} is killed${reason}`, { image }),
			};
		}
		return { restart: true, error: refused(`image ${id} is ${status}: ${refusal.message}`) };
	}
	throw refused(`could not open an upload session for image ${id}`);
}

/**
 * What to do with an existing session: upload into it while it is open; a completed one
 * (state "verifying") only needs the verification awaited.
 * @param {Session} session
 * @param {string} id
 * @param {number} size
 * @param {FileDigests | null} digests
 * @returns {Obtained}
 */
function resumable(session, id, size, digests) {
	checkSession(session, id, size, digests);
	if (session.state && session.state !== "open") return { saving: true };
	return { session };
}

/**
 * Refuses a session that was opened for other data (another size or other digests; the digests
 * are compared once they are known).
 * @param {Session} session
 * @param {string} id
 * @param {number} size
 * @param {FileDigests | null} digests
 */
function checkSession(session, id, size, digests) {
	const other =
		session.size !== size ||
		(digests && session.checksum && session.checksum !== digests.md5) ||
		(digests && session.os_hash_value && session.os_hash_value !== digests.sha512);
	if (other) {
		throw refused(
			`image ${id} has an upload session open for other data (${session.size} bytes` +
				`${session.checksum ? `, md5 ${session.checksum}` : ""}); discard it with ` +
				`"glance-edge abort ${id}" or upload to another image`,
		);
	}
	if (session.part_count !== Math.ceil(size / session.part_size)) {
		throw networkFailure(
			`the upload session of image ${id} is inconsistent: ${session.part_count} parts of ${session.part_size} bytes for ${size} bytes`,
		);
	}
	return session;
}

/**
 * Best effort: frees the session of an image this tool started for a file that has changed.
 * @param {Client} client
 * @param {string} id
 */
async function discardSession(client, id) {
	try {
		const res = await client.send("DELETE", sessionPath(id), { timeoutMs: 30_000 });
		await drain(res);
	} catch {}
}

/**
 * @param {string} file
 * @param {import("node:fs").Stats} before
 */
async function checkUnchanged(file, before) {
	let now;
	try {
		now = await fsp.stat(file);
	} catch (err) {
		throw usageError(`cannot read ${file}: ${errorCode(err)}`);
	}
	if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
		throw usageError(`${file} changed during the upload; run the command again to start over`);
	}
}

/**
 * Uploads the given parts with at most `parallel` in flight. The first part that fails for
 * good stops the others. Returns {bytes, seconds} sent in this call. `base`: the session's path
 * (default: the v1 upload session of the image; v2 import stages through its own).
 * @param {Client} client
 * @param {Ui} ui
 * @param {{id: string, file: string, session: Session, missing: number[], parallel: number,
 *   base?: string}} job
 */
export async function uploadParts(client, ui, { id, file, session, missing, parallel, base }) {
	const storedBytes =
		session.size -
		missing.reduce((sum, n) => {
			const { start, end } = partRange(session, n);
			return sum + (end - start);
		}, 0);
	const meter = ui.progress("uploading", session.size, storedBytes);
	if (storedBytes > 0) {
		ui.note(
			`${session.part_count - missing.length} of ${session.part_count} parts already stored; uploading ${missing.length}`,
		);
	}
	const stop = new AbortController();
	const queue = [...missing];
	// The server hashes the parts in order as they arrive, a part continuing its predecessor's
	// digests: so each part's request starts once the part before it (in this run) has all its
	// bytes sent, and waits there only for the predecessor's answer. Up to `parallel` requests
	// are open; their answers overlap the next part's bytes.
	/** @type {Map<number, {promise: Promise<void>, resolve: () => void}>} */
	const bodiesSent = new Map(missing.map((n) => [n, signalled()]));
	const sentBefore = (/** @type {number} */ n) => {
		const i = missing.indexOf(n);
		return i > 0 ? bodiesSent.get(missing[i - 1])?.promise : undefined;
	};
	let failure = /** @type {unknown} */ (null);
	const worker = async () => {
		while (!failure) {
			const n = queue.shift();
			if (n === undefined) break;
			const sent = bodiesSent.get(n);
			try {
				await sentBefore(n);
				if (failure) break;
				await uploadPart(client, {
					id,
					file,
					session,
					n,
					meter,
					signal: stop.signal,
					base,
					onBodySent: () => sent?.resolve(),
				});
			} catch (err) {
				if (!failure) {
					failure = err;
					stop.abort();
				}
			} finally {
				// A part that failed must not hold the ones after it back.
				sent?.resolve();
			}
		}
	};
	const workers = Math.max(1, Math.min(parallel, queue.length));
	await Promise.all(Array.from({ length: workers }, worker));
	const summary = meter.stop();
	if (failure) throw failure;
	return summary;
}

/** A promise with its resolve function (Promise.withResolvers needs Node 22). */
function signalled() {
	/** @type {() => void} */
	let resolve = () => {};
	const promise = new Promise((done) => {
		resolve = () => done(undefined);
	});
	return { promise, resolve };
}

/** Statuses worth retrying for a part: the usual ones plus 409 (part busy / session locked). */
function isRetryablePartStatus(/** @type {number} */ status) {
	return isRetryableStatus(status) || status === 409;
}

/**
 * @param {Client} client
 * @param {{id: string, file: string, session: Session, n: number,
 *   meter: import("./ui.mjs").Meter, signal: AbortSignal, base?: string,
 *   onBodySent?: () => void}} part
 */
async function uploadPart(client, { id, file, session, n, meter, signal, base, onBodySent }) {
	const { start, end } = partRange(session, n);
	const length = end - start;
	const path = `${base ?? sessionPath(id)}/parts/${n}`;
	const what = `uploading part ${n} of ${session.part_count}`;
	/**
	 * The CliError for a part's unsuccessful answer after `attempts` tries. Reads the body.
	 * @param {Response} res
	 * @param {number} attempts
	 */
	const failure = async (res, attempts) => {
		const message = `${what}: ${await errorMessage(res)}`;
		if (isRetryableStatus(res.status)) return networkFailure(`${message} (${attempts} attempts)`);
		return refused(attempts > 1 ? `${message} (${attempts} attempts)` : message);
	};
	const attempt = async (/** @type {number} */ earlier) => {
		let sent = 0;
		let lastActivity = Date.now();
		let bodyDone = false;
		const watchdog = new AbortController();
		const timer = setInterval(() => {
			const idle = Date.now() - lastActivity;
			if (bodyDone ? idle > PART_ANSWER_MS : idle > PART_STALL_MS) {
				watchdog.abort(new Error(bodyDone ? "no answer from the server" : "the upload stalled"));
			}
		}, 1000);
		timer.unref();
		async function* body() {
			const stream = fs.createReadStream(file, { start, end: end - 1, highWaterMark: 256 * 1024 });
			for await (const chunk of stream) {
				sent += chunk.length;
				meter.add(chunk.length);
				lastActivity = Date.now();
				yield chunk;
			}
			bodyDone = true;
			lastActivity = Date.now();
			onBodySent?.();
		}
		let res;
		try {
			res = await client.send("PUT", path, {
				headers: {
					"Content-Type": "application/octet-stream",
					"Content-Length": String(length),
				},
				body: body(),
				signal: AbortSignal.any([signal, watchdog.signal]),
				timeoutMs: 0,
			});
		} catch (err) {
			if (signal.aborted) throw err;
			if (causeOf(err)?.code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH") {
				throw usageError(`${file} changed during the upload (part ${n} has another length now)`);
			}
			const { code, syscall } = asError(err);
			if (code && syscall) throw usageError(`cannot read ${file}: ${code}`);
			meter.sub(sent);
			throw new AttemptFailure(describeNetworkError(err), { cause: err });
		} finally {
			clearInterval(timer);
		}
		if (res.ok) {
			await drain(res);
			if (sent !== length) {
				throw usageError(`${file} changed during the upload (part ${n} was short)`);
			}
			return;
		}
		meter.sub(sent);
		if (isRetryablePartStatus(res.status)) throw new AttemptFailure(`HTTP ${res.status}`, { res });
		throw await failure(res, earlier + 1);
	};
	try {
		await withRetries(attempt, client.retrying(what, { signal }));
	} catch (err) {
		if (!(err instanceof AttemptFailure)) throw err;
		const attempts = err.attempts;
		if (err.res) throw await failure(err.res, attempts);
		throw networkFailure(`${what}: ${err.message} (${attempts} attempts)`, { cause: err.cause });
	}
}

/**
 * POST …/complete with our digests, which the server checks the data against. Null when the
 * server took it (or already had: a retried complete whose first attempt got through); on 400
 * with parts missing, the session listing what it has.
 * @param {Client} client
 * @param {string} id
 * @param {FileDigests} digests
 */
async function complete(client, id, digests) {
	const what = `completing the upload of image ${id}`;
	const res = await client.call("POST", `${sessionPath(id)}/complete`, {
		what,
		json: { checksum: digests.md5, os_hash_value: digests.sha512 },
	});
	if (res.ok) {
		await drain(res);
		return null;
	}
	const failure = await client.failure(what, res);
	if (res.status === 400) {
		const session = await readSession(client, id);
		if (session?.state && session.state !== "open") return null; // completed meanwhile
		if (session && missingParts(session).length > 0) return session;
		throw failure;
	}
	if (res.status === 404 || res.status === 409) {
		const image = await client.headImage(id);
		if (image && ["saving", "active", "killed"].includes(image.status ?? "")) return null;
	}
	throw failure;
}

/**
 * @param {Client} client
 * @param {Ui} ui
 * @param {string} id
 * @param {number} timeoutMs
 * @returns {Promise<Image>} active or killed
 */
async function waitForVerification(client, ui, id, timeoutMs) {
	const status = ui.status("verifying on the server");
	const deadline = Date.now() + timeoutMs;
	let delay = POLL_FIRST_MS;
	try {
		for (;;) {
			const image = await client.headImage(id, { timeoutMs: POLL_REQUEST_TIMEOUT_MS });
			if (!image) throw refused(`image ${id} disappeared while it was being verified`);
			if (image.status === "active" || image.status === "killed") return image;
			if (image.status !== "saving") {
				throw refused(`image ${id} became ${image.status} while it was being verified`);
			}
			if (Date.now() >= deadline) {
				throw networkFailure(
					`image ${id} is still being verified after ${Math.round(timeoutMs / 1000)} s; run the same command again to keep waiting`,
				);
			}
			await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
			delay = Math.min(POLL_MAX_MS, delay * 1.5);
		}
	} finally {
		status.stop();
	}
}

/**
 * What differs between the server's image and the local file (empty when they match).
 * @param {Image} image
 * @param {number} size
 * @param {FileDigests} digests
 */
export function compareDigests(image, size, digests) {
	const problems = [];
	if (image.size !== undefined && image.size !== size) {
		problems.push(`size ${image.size} on the server, ${size} here`);
	}
	if (image.checksum !== digests.md5) {
		problems.push(`md5 ${image.checksum ?? "(none)"} on the server, ${digests.md5} here`);
	}
	const algo = (image.os_hash_algo ?? "sha512").toLowerCase();
	if (algo !== "sha512") {
		problems.push(`the server hashes with ${algo}, not sha512`);
	} else if (image.os_hash_value !== digests.sha512) {
		problems.push(
			`sha512 ${image.os_hash_value ? `${image.os_hash_value.slice(0, 16)}…` : "(none)"} on the server, ${digests.sha512.slice(0, 16)}… here`,
		);
	}
	return problems;
}
