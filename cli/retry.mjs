// @ts-check
// The one retry loop of the CLI: attempts bounded in number and in time (an outage is ridden
// out for minutes), with exponential backoff and jitter between them, or the wait the server
// asked for with Retry-After.

import { setTimeout as timeout } from "node:timers/promises";

const BACKOFF_BASE_MS = 1000;
// Long enough that a server being redeployed is not hammered, short enough to notice it is back.
const BACKOFF_CAP_MS = 30_000;
const RETRY_AFTER_CAP_MS = 60_000;

/**
 * The delay before retry number `attempt` (0-based): exponential with "equal jitter" (half
 * fixed, half random), or the server's Retry-After when it gave one (capped).
 * @param {number} attempt
 * @param {string | null | undefined} retryAfterHeader
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, retryAfterHeader, random = Math.random) {
	const retryAfter = parseRetryAfter(retryAfterHeader);
	if (retryAfter !== null) return Math.min(retryAfter, RETRY_AFTER_CAP_MS);
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** @param {string | null | undefined} value milliseconds to wait, or null */
function parseRetryAfter(value) {
	if (value === null || value === undefined || value === "") return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/** @type {(ms: number, signal?: AbortSignal) => Promise<unknown>} */
const sleepFor = (ms, signal) => timeout(ms, undefined, { signal });

/**
 * @template E the failures worth another try
 * @typedef {object} RetryOptions
 * @property {number} retries how many times to try again after the first failure
 * @property {number} [retryForMs] how long after the first failure of a run of failures to
 *   keep trying (default: no limit but `retries`)
 * @property {(outcome: {error: E, attempts: number}) => unknown} [onGiveUp] called with the
 *   last failure before it is thrown
 * @property {(error: unknown) => error is E} retryable whether a failure is worth another try
 * @property {(error: E) => boolean} [progressed] whether a failed attempt got somewhere
 *   (a download that broke off after some bytes): it earns a fresh budget of retries, and the
 *   backoff starts over
 * @property {(error: E) => string | null | undefined} [retryAfter] the Retry-After header
 *   the failure came with
 * @property {(retry: {error: E, retry: number, delayMs: number}) => unknown} [onRetry]
 *   awaited before the wait for retry number `retry` (1-based)
 * @property {AbortSignal} [signal] aborts the wait between attempts
 * @property {(ms: number, signal?: AbortSignal) => Promise<unknown>} [sleep] for tests
 * @property {() => number} [random] for tests
 * @property {() => number} [now] for tests
 */

/**
 * Runs `attempt` until it succeeds, fails in a way `retryable` rejects, has failed
 * `retries` + 1 times in a row, or would wait past `retryForMs` since the first of those
 * failures; then the last failure is thrown as it is.
 *
 * @template T, E
 * @param {(n: number) => Promise<T>} attempt one try, called with 0, 1, 2, …; throws to fail
 * @param {RetryOptions<E>} options
 * @returns {Promise<T>}
 */
export async function withRetries(attempt, options) {
	const { retries, retryable, progressed, retryAfter, onRetry, onGiveUp, signal } = options;
	const { sleep = sleepFor, random = Math.random, retryForMs = Number.POSITIVE_INFINITY } = options;
	const now = options.now ?? Date.now;
	let failures = 0;
	let firstFailure = 0;
	for (let n = 0; ; n++) {
		try {
			return await attempt(n);
		} catch (error) {
			if (!retryable(error)) throw error;
			if (progressed?.(error)) failures = 0;
			if (failures === 0) firstFailure = now();
			const delayMs = backoffDelay(failures, retryAfter?.(error), random);
			if (failures >= retries || now() + delayMs - firstFailure > retryForMs) {
				await onGiveUp?.({ error, attempts: failures + 1 });
				throw error;
			}
			failures++;
			await onRetry?.({ error, retry: failures, delayMs });
			await sleep(delayMs, signal);
		}
	}
}
