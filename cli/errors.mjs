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

export class CliError extends Error {
	/**
	 * @param {number} exitCode one of EXIT
	 * @param {string} message one line, no trailing period needed
	 * @param {{cause?: unknown, image?: object}} [options] image: the final image, for --json
	 */
	constructor(exitCode, message, options = {}) {
		super(oneLine(message), { cause: options.cause });
		this.name = "CliError";
		this.exitCode = exitCode;
		this.image = options.image;
	}
}

export const usageError = (message, options) => new CliError(EXIT.USAGE, message, options);
export const refused = (message, options) => new CliError(EXIT.REFUSED, message, options);
export const verifyFailed = (message, options) => new CliError(EXIT.VERIFY, message, options);
export const networkFailure = (message, options) => new CliError(EXIT.NETWORK, message, options);

/** Collapses whitespace (including newlines) so every message stays one line. */
export function oneLine(text) {
	return String(text).replace(/\s+/g, " ").trim();
}

/** A short description of a network-level error: undici hides the useful part in `cause`. */
export function describeNetworkError(err) {
	if (err?.name === "TimeoutError") return "timed out";
	if (err?.name === "AbortError" && err?.cause?.message) return err.cause.message;
	const cause = err?.cause;
	const code = cause?.code ?? err?.code;
	const detail = cause?.message ?? err?.message ?? String(err);
	if (code && !detail.includes(code)) return `${detail} (${code})`;
	return detail;
}
