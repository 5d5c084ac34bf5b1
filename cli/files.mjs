// @ts-check
// Local file helpers: streaming digests and the resume state file kept next to an upload.

import { createHash } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { asError, errorCode } from "./errors.mjs";

export const STATE_SUFFIX = ".glance-edge.json";
const STATE_VERSION = 1;

/** Both digests of a stream of chunks, without holding more than one chunk. */
export class Digests {
	constructor() {
		this.md5 = createHash("md5");
		this.sha512 = createHash("sha512");
		this.bytes = 0;
	}

	update(/** @type {Buffer} */ chunk) {
		this.md5.update(chunk);
		this.sha512.update(chunk);
		this.bytes += chunk.length;
	}

	digest() {
		return { md5: this.md5.digest("hex"), sha512: this.sha512.digest("hex"), bytes: this.bytes };
	}
}

/**
 * Feeds bytes [0, length) of a file (the whole file when length is undefined) into a Digests,
 * streaming; `onBytes` is told how much was read.
 * @param {string} file
 * @param {{length?: number, onBytes?: (bytes: number) => void, digests?: Digests}} [options]
 */
export async function digestFile(file, { length, onBytes, digests = new Digests() } = {}) {
	if (length === 0) return digests;
	/** @type {{highWaterMark: number, start?: number, end?: number}} */
	const options = { highWaterMark: 1 << 20 };
	if (length !== undefined) {
		options.start = 0;
		options.end = length - 1;
	}
	for await (const chunk of fs.createReadStream(file, options)) {
		digests.update(chunk);
		onBytes?.(chunk.length);
	}
	return digests;
}

/** The size of a file, or null when it does not exist. */
export async function sizeOf(/** @type {string} */ file) {
	try {
		return (await fsp.stat(file)).size;
	} catch (err) {
		if (asError(err).code === "ENOENT") return null;
		throw err;
	}
}

/**
 * What a state file holds besides its version: what tells the same file on the same server,
 * and the digests, so that a resumed upload does not hash the file again.
 * @typedef {object} UploadState
 * @property {string} url
 * @property {number} size
 * @property {number} mtime_ms
 * @property {string} image_id
 * @property {string} [md5]
 * @property {string} [sha512]
 */

/**
 * The resume state of an upload: `<file>.glance-edge.json`, holding the server URL, the image
 * id, the file's size and mtime and its digests (never the token). Written atomically.
 */
export class StateFile {
	/**
	 * @param {string} file
	 * @param {import("./ui.mjs").Ui} ui
	 * @param {string} [dir] instead of beside the file (a read-only directory, a CI cache): the
	 *   name then carries a hash of the file's absolute path, so two files of one name differ
	 */
	constructor(file, ui, dir) {
		if (dir) {
			const absolute = path.resolve(file);
			const tag = createHash("sha256").update(absolute).digest("hex").slice(0, 12);
			this.path = path.join(dir, `${path.basename(file)}.${tag}${STATE_SUFFIX}`);
		} else {
			this.path = `${file}${STATE_SUFFIX}`;
		}
		this.ui = ui;
		this.warned = false;
	}

	/** @returns {Promise<UploadState | null>} */
	async read() {
		let text;
		try {
			text = await fsp.readFile(this.path, "utf8");
		} catch (err) {
			const code = errorCode(err);
			if (code !== "ENOENT") this.ui.note(`cannot read ${this.path}: ${code}`);
			return null;
		}
		try {
			/** @type {{version?: unknown, image_id?: unknown} | null} any JSON */
			const state = JSON.parse(text);
			if (state?.version === STATE_VERSION && typeof state.image_id === "string") {
				// `version` says this tool wrote it, so it holds what write() was given.
				return /** @type {UploadState} */ (state);
			}
		} catch {}
		this.ui.note(`ignoring ${this.path}: not a state file this version understands`);
		return null;
	}

	async write(/** @type {UploadState} */ state) {
		const tmp = `${this.path}.${process.pid}.tmp`;
		try {
			await fsp.mkdir(path.dirname(this.path), { recursive: true });
			await fsp.writeFile(
				tmp,
				`${JSON.stringify({ version: STATE_VERSION, ...state }, null, 2)}\n`,
			);
			await fsp.rename(tmp, this.path);
		} catch (err) {
			await fsp.rm(tmp, { force: true }).catch(() => {});
			if (!this.warned) {
				this.warned = true;
				this.ui.note(
					`cannot write ${path.basename(this.path)} (${errorCode(err)}): an interrupted upload will not resume`,
				);
			}
		}
	}

	async remove() {
		await fsp.rm(this.path, { force: true }).catch(() => {});
	}
}
