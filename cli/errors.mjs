// @ts-check
// Exit codes and the one error type of the CLI. Every failure the user sees is a CliError with
// one of these codes and a one-line message.

export const EXIT = Object.freeze({
	OK: 0,
	/** Bad arguments, or a local file problem (unreadable, changed during upload, not writable). */
	USAGE: 1,
	/** The server refused a request (HTTP 4xx other than a retried 408/429). */
	REFUSED: 2,
	/** The image was killed by the server's verification, or a checksum or size does not match. */
	VERIFY: 3,
	/** Network or server failure after retries (5xx, unreachable, timed out). */
	NETWORK: 4,
	INTERRUPTED: 130,
});

/**
 * @typedef {object} CliErrorOptions
 * @property {unknown} [cause]
 * @property {import("./http.mjs").Image} [image] the final image, for --json
 */

export class CliError extends Error {
	/**
	 * @param {number} exitCode one of EXIT
	 * @param {string} message one line, no trailing period needed
	 * @param {CliErrorOptions} [options]
	 */
	constructor(exitCode, message, options = {}) {
		super(oneLine(message), { cause: options.cause });
		this.name = "CliError";
		this.exitCode = exitCode;
		this.image = options.image;
	}
}

/** @typedef {(message: string, options?: CliErrorOptions) => CliError} ErrorMaker */

/** @type {ErrorMaker} */
export const usageError = (message, options) => new CliError(EXIT.USAGE, message, options);
/** @type {ErrorMaker} */
export const refused = (message, options) => new CliError(EXIT.REFUSED, message, options);
/** @type {ErrorMaker} */
export const verifyFailed = (message, options) => new CliError(EXIT.VERIFY, message, options);
/** @type {ErrorMaker} */
export const networkFailure = (message, options) => new CliError(EXIT.NETWORK, message, options);

/** Collapses whitespace (including newlines) so every message stays one line. */
export function oneLine(/** @type {unknown} */ text) {
	return String(text).replace(/\s+/g, " ").trim();
}

/**
 * A thrown value as the errors Node and undici throw, whose `code` and `syscall` the messages
 * look at when they are there.
 * @param {unknown} thrown
 * @returns {NodeJS.ErrnoException}
 */
export function asError(thrown) {
	return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** What undici puts in `cause` of the errors it throws: the one that tells what happened. */
export function causeOf(/** @type {unknown} */ thrown) {
	const { cause } = asError(thrown);
	return cause instanceof Error ? asError(cause) : undefined;
}

/** The code of a system error (ENOENT, EACCES), or its message when it has none. */
export function errorCode(/** @type {unknown} */ thrown) {
	const err = asError(thrown);
	return err.code ?? err.message;
}

/** A short description of a network-level error: undici hides the useful part in `cause`. */
export function describeNetworkError(/** @type {unknown} */ thrown) {
	const err = asError(thrown);
	const cause = causeOf(err);
	if (err.name === "TimeoutError") return "timed out";
	if (err.name === "AbortError" && cause?.message) return cause.message;
	const code = cause?.code ?? err.code;
	const detail = cause?.message ?? err.message;
	if (code && !detail.includes(code)) return `${detail} (${code})`;
	return detail;
}
