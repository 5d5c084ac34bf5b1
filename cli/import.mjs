// @ts-check
// `glance-edge upload --import`: Image API v2's interoperable import (glance-direct). Hash the
// file, create the image through POST /v2/images, stage the file (one request when it is no
// larger than the smallest part, otherwise in parallel parts through the v2 staging session),
// POST the import, wait until the server has verified it and check its digests against ours.

import { randomUUID } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import {
	asError,
	describeNetworkError,
	errorCode,
	networkFailure,
	refused,
	usageError,
	verifyFailed,
} from "./errors.mjs";
import { digestFile } from "./files.mjs";
import { AttemptFailure, drain, isRetryableStatus } from "./http.mjs";
import { withRetries } from "./retry.mjs";
import { formatBytes } from "./ui.mjs";
import { compareDigests, missingParts, uploadParts } from "./upload.mjs";

/**
 * @typedef {import("./http.mjs").Client} Client
 * @typedef {import("./http.mjs").Image} Image
 * @typedef {import("./ui.mjs").Ui} Ui
 * @typedef {import("./upload.mjs").UploadOptions} UploadOptions
 * @typedef {import("./upload.mjs").Session} Session
 */

/**
 * Files up to R2's smallest part (the smallest part the server can choose, so within any request
 * limit a session could work with) are staged in one request; larger ones in parts.
 */
export const ONE_REQUEST_BYTES = 5 * 1024 * 1024;
const POLL_FIRST_MS = 500;
const POLL_MAX_MS = 5_000;

const imagePath = (/** @type {string} */ id) => `/v2/images/${encodeURIComponent(id)}`;
const stagingPath = (/** @type {string} */ id) => `${imagePath(id)}/upload-session`;

/**
 * @param {UploadOptions} opts
 * @param {import("./http.mjs").Context} ctx
 * @returns {Promise<Image>} the active image (its v2 record)
 */
export async function importUpload(opts, { client, ui }) {
	const { file } = opts;
	const stat = await readableFile(file);
	const size = stat.size;
	const meter = ui.progress("hashing", size);
	const hashed = (await digestFile(file, { onBytes: (n) => meter.add(n) })).digest();
	meter.stop();
	if (hashed.bytes !== size) throw usageError(`${file} changed while it was being read`);
	const digests = { md5: hashed.md5, sha512: hashed.sha512 };

	const id = opts.id ?? (await createImage(client, opts));
	if (size <= ONE_REQUEST_BYTES) await stageOnce(client, id, file, size);
	else await stageInParts(client, ui, { id, file, size, digests, parallel: opts.parallel });
	const now = await fsp.stat(file);
	if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) {
		throw usageError(`${file} changed during the upload; run the command again to start over`);
	}
	await startImport(client, id);
	const image = await waitForImport(client, ui, id, opts.verifyTimeoutMs);
	const problems = compareDigests(image, size, digests);
	if (problems.length > 0) {
		throw verifyFailed(`image ${id} does not match ${file}: ${problems.join("; ")}`, { image });
	}
	ui.note(`image ${id} is active (imported): ${formatBytes(size)}, md5 and sha512 verified`);
	return image;
}

/** @param {string} file */
async function readableFile(file) {
	let stat;
	try {
		stat = await fsp.stat(file);
		await fsp.access(file, fs.constants.R_OK);
	} catch (err) {
		throw usageError(`cannot read ${file}: ${errorCode(err)}`);
	}
	if (!stat.isFile()) throw usageError(`${file} is not a regular file`);
	if (stat.size === 0) throw usageError(`${file} is empty: there is nothing to upload`);
	return stat;
}

/**
 * POST /v2/images with a random id of ours, so that a retried creation whose first answer was
 * lost finds its image (409) instead of making a second one.
 * @param {Client} client
 * @param {UploadOptions} opts
 */
async function createImage(client, opts) {
	const id = randomUUID();
	/** @type {Record<string, unknown>} */
	const body = {
		...opts.properties,
		id,
		name: opts.name,
		disk_format: opts.diskFormat,
		container_format: opts.containerFormat,
	};
	if (opts.isPublic) body.visibility = "public";
	if (opts.minDisk !== undefined) body.min_disk = opts.minDisk;
	if (opts.minRam !== undefined) body.min_ram = opts.minRam;
	const what = "creating the image";
	const res = await client.call("POST", "/v2/images", { what, json: body });
	if (res.ok) {
		await drain(res);
		return id;
	}
	const failure = await client.failure(what, res);
	if (res.status === 409 && (await readImage(client, id))?.status === "queued") return id;
	throw failure;
}

/**
 * GET /v2/images/{id}: the image's v2 record, or null on 404.
 * @param {Client} client
 * @param {string} id
 * @returns {Promise<(Image & {status?: string}) | null>}
 */
async function readImage(client, id) {
	const what = `reading image ${id}`;
	const res = await client.call("GET", imagePath(id), { what });
	if (res.status === 404) {
		await drain(res);
		return null;
	}
	if (!res.ok) throw await client.failure(what, res);
	return /** @type {Image} */ (await res.json());
}

/**
 * PUT …/stage with the whole file, retried on network errors and 5xx (a failed stage leaves the
 * image queued). A retry refused because an earlier attempt did stage it counts as done.
 * @param {Client} client
 * @param {string} id
 * @param {string} file
 * @param {number} size
 */
async function stageOnce(client, id, file, size) {
	const what = `staging the data of image ${id}`;
	const attempt = async () => {
		let res;
		try {
			res = await client.send("PUT", `${imagePath(id)}/stage`, {
				headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
				body: fs.createReadStream(file),
				timeoutMs: 0,
			});
		} catch (err) {
			const { code, syscall } = asError(err);
			if (code && syscall) throw usageError(`cannot read ${file}: ${code}`);
			throw new AttemptFailure(describeNetworkError(err), { cause: err });
		}
		if (isRetryableStatus(res.status)) throw new AttemptFailure(`HTTP ${res.status}`, { res });
		return res;
	};
	let res;
	try {
		res = await withRetries(attempt, client.retrying(what));
	} catch (err) {
		if (!(err instanceof AttemptFailure)) throw err;
		if (!err.res) throw networkFailure(`${what}: ${err.message}`, { cause: err.cause });
		res = err.res;
	}
	if (res.ok) return drain(res);
	const failure = await client.failure(what, res);
	const image = await readImage(client, id);
	if (res.status === 409 && image?.status === "uploading" && image.size === size) return;
	throw failure;
}

/**
 * Opens the v2 staging session (declaring the size and digests, which the import checks), sends
 * every part in parallel, and completes it; parts the server reports missing are sent again.
 * @param {Client} client
 * @param {Ui} ui
 * @param {{id: string, file: string, size: number, digests: {md5: string, sha512: string},
 *   parallel: number}} job
 */
async function stageInParts(client, ui, { id, file, size, digests, parallel }) {
	const base = stagingPath(id);
	const what = `opening a staging session for image ${id}`;
	const opened = await client.call("POST", base, {
		what,
		json: { size, checksum: digests.md5, os_hash_value: digests.sha512 },
	});
	if (!opened.ok) throw await client.failure(what, opened);
	let session = /** @type {{session: Session}} */ (await opened.json()).session;
	for (let round = 0; ; round++) {
		const missing = missingParts(session);
		if (missing.length > 0) {
			await uploadParts(client, ui, { id, file, session, missing, parallel, base });
		}
		const completing = `completing the staging of image ${id}`;
		const res = await client.call("POST", `${base}/complete`, { what: completing });
		if (res.ok) return drain(res);
		const failure = await client.failure(completing, res);
		if (res.status !== 400 || round >= 2) throw failure;
		const read = await client.call("GET", base, { what: `reading the staging session of ${id}` });
		if (!read.ok) throw failure;
		session = /** @type {{session: Session}} */ (await read.json()).session;
		if (missingParts(session).length === 0) throw failure;
		ui.note(`the server misses ${missingParts(session).length} part(s); sending them again`);
	}
}

/**
 * POST …/import with glance-direct. A retry refused because the first attempt got through (the
 * image already importing or active) counts as done.
 * @param {Client} client
 * @param {string} id
 */
async function startImport(client, id) {
	const what = `importing image ${id}`;
	const res = await client.call("POST", `${imagePath(id)}/import`, {
		what,
		json: { method: { name: "glance-direct" } },
	});
	if (res.ok) return drain(res);
	const failure = await client.failure(what, res);
	const status = (await readImage(client, id))?.status;
	if (res.status === 409 && (status === "importing" || status === "active")) return;
	throw failure;
}

/**
 * Polls the image until its import ends: active, or queued again, whose reason is its task's.
 * @param {Client} client
 * @param {Ui} ui
 * @param {string} id
 * @param {number} timeoutMs
 * @returns {Promise<Image>}
 */
async function waitForImport(client, ui, id, timeoutMs) {
	const status = ui.status("importing on the server");
	const deadline = Date.now() + timeoutMs;
	let delay = POLL_FIRST_MS;
	try {
		for (;;) {
			const image = await readImage(client, id);
			if (!image) throw refused(`image ${id} disappeared while it was being imported`);
			if (image.status === "active") return image;
			if (image.status === "queued") {
				const reason = await taskMessage(client, id);
				throw verifyFailed(
					`the import of image ${id} failed${reason ? `: ${reason}` : " (no reason given)"}`,
					{ image },
				);
			}
			if (image.status !== "importing") {
				throw refused(`image ${id} became ${image.status} while it was being imported`);
			}
			if (Date.now() >= deadline) {
				throw networkFailure(
					`image ${id} is still being imported after ${Math.round(timeoutMs / 1000)} s`,
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
 * The message of the image's latest import task (where Glance records why it failed).
 * @param {Client} client
 * @param {string} id
 */
async function taskMessage(client, id) {
	const res = await client.call("GET", `${imagePath(id)}/tasks`, {
		what: `reading tasks of ${id}`,
	});
	if (!res.ok) {
		await drain(res);
		return "";
	}
	const body = /** @type {{tasks?: {message?: string}[]}} */ (await res.json());
	return body.tasks?.[0]?.message ?? "";
}
