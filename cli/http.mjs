// @ts-check
// HTTP client for the glance-edge API: X-Auth-Token on every call, JSON errors turned into
// CliErrors with the right exit code, and retries with exponential backoff and jitter for the
// failures that may go away (5xx, 429, 408, network errors).

import { describeNetworkError, networkFailure, refused } from "./errors.mjs";
import { withRetries } from "./retry.mjs";

/** @typedef {import("./ui.mjs").Ui} Ui */

/**
 * An image as the x-image-meta-* headers of HEAD and GET /v1/images/{id} describe it. The
 * server leaves out the fields it has no value for; fields not listed here are kept for --json.
 * @typedef {object} Image
 * @property {string} [id]
 * @property {string} [name]
 * @property {string} [status] queued, saving, active, killed, deleted or pending_delete
 * @property {string} [status_reason] why the server's verification killed it
 * @property {number} [size]
 * @property {string} [checksum] MD5, hex
 * @property {string} [os_hash_algo]
 * @property {string} [os_hash_value]
 * @property {Record<string, string>} properties
 */

/**
 * @typedef {object} SendOptions
 * @property {Record<string, string>} [headers]
 * @property {unknown} [json] a body sent as JSON
 * @property {AsyncIterable<Uint8Array>} [body] a body streamed as it is
 * @property {AbortSignal} [signal]
 * @property {number} [timeoutMs] for the whole exchange; 0: none
 */

/**
 * @typedef {object} CallOptions
 * @property {string} what what the request does, for messages: "reading image 42"
 * @property {number[]} [retryStatuses] statuses retried besides 5xx, 429 and 408
 */

const REQUEST_TIMEOUT_MS = 120_000;

/** Statuses worth retrying for any request. */
export function isRetryableStatus(/** @type {number} */ status) {
	return status >= 500 || status === 429 || status === 408;
}

/**
 * A failed attempt worth another: a network error, or an answer with a retryable status whose
 * body is left unread so that the last one can still be reported.
 */
export class AttemptFailure extends Error {
	/**
	 * @param {string} reason what went wrong, for the retry note: "HTTP 503", "timed out"
	 * @param {{cause?: unknown, res?: Response}} [options]
	 */
	constructor(reason, { cause, res } = {}) {
		super(reason, { cause });
		this.name = "AttemptFailure";
		this.res = res;
		/** How many attempts were made in all, once they are given up. */
		this.attempts = 1;
	}
}

/** Parallel parts failing together are one outage: one retry note per this long, not one each. */
const RETRY_NOTE_INTERVAL_MS = 15_000;

/**
 * Says when the next retry note may be printed; shared by the requests of one run.
 * @returns {{due(): boolean}}
 */
export function noteLimiter(now = Date.now) {
	let last = Number.NEGATIVE_INFINITY;
	return {
		due() {
			if (now() - last < RETRY_NOTE_INTERVAL_MS) return false;
			last = now();
			return true;
		},
	};
}

/**
 * withRetries options for attempts that throw AttemptFailures: the answer a retry replaces is
 * drained, its Retry-After honoured, and retries noted as `<what>: <reason>; <verb> in 1.2 s`
 * (at most one note per RETRY_NOTE_INTERVAL_MS with a limiter). The failure given up on gets
 * `attempts`, for the final message.
 * @param {Ui} ui
 * @param {string} what
 * @param {number} retries
 * @param {{verb?: string, signal?: AbortSignal, retryForMs?: number, limiter?: {due(): boolean}}} [options]
 * @returns {import("./retry.mjs").RetryOptions<AttemptFailure>}
 */
export function retrying(
	ui,
	what,
	retries,
	{ verb = "retrying", signal, retryForMs, limiter } = {},
) {
	return {
		retries,
		retryForMs,
		signal,
		retryable: (error) => error instanceof AttemptFailure,
		retryAfter: (error) => error.res?.headers.get("retry-after"),
		onRetry: async ({ error, delayMs }) => {
			if (error.res) await drain(error.res);
			if (!limiter || limiter.due()) {
				ui.note(`${what}: ${error.message}; ${verb} in ${(delayMs / 1000).toFixed(1)} s`);
			}
		},
		onGiveUp: ({ error, attempts }) => {
			error.attempts = attempts;
		},
	};
}

/**
 * Strips a trailing slash and a trailing API version (`/v1`, `/v1.0`, `/v1.1`) from an
 * endpoint, as glanceclient does, so `OS_IMAGE_URL=https://host/v1` works too.
 */
export function normalizeEndpoint(/** @type {string} */ raw) {
	let url;
	try {
		url = new URL(raw);
	} catch {
		return null;
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") return null;
	url.search = "";
	url.hash = "";
	let path = url.pathname.replace(/\/+$/, "");
	path = path.replace(/\/v1(\.[01])?$/, "");
	return `${url.origin}${path}`;
}

function decodeValue(/** @type {string} */ text) {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

const NUMERIC_FIELDS = new Set(["size", "virtual_size", "min_disk", "min_ram"]);
const BOOLEAN_FIELDS = new Set(["is_public", "protected", "deleted"]);

/**
 * The image described by a response's x-image-meta-* headers, as a JSON-like object.
 * @param {Headers} headers
 */
export function imageFromHeaders(headers) {
	/** @type {Record<string, string | number | boolean>} */
	const image = {};
	/** @type {Record<string, string>} */
	const properties = {};
	for (const [rawName, rawValue] of headers) {
		const name = rawName.toLowerCase();
		if (!name.startsWith("x-image-meta-")) continue;
		const key = name.slice("x-image-meta-".length);
		const value = decodeValue(rawValue);
		if (key.startsWith("property-")) {
			properties[decodeValue(key.slice("property-".length))] = value;
		} else if (NUMERIC_FIELDS.has(key) && /^\d+$/.test(value)) {
			image[key] = Number(value);
		} else if (BOOLEAN_FIELDS.has(key)) {
			image[key] = value.toLowerCase() === "true";
		} else {
			image[key] = value;
		}
	}
	// Trusted to be typed as the API documents them: the headers come from our server.
	return /** @type {Image} */ ({ ...image, properties });
}

/** @typedef {{message?: unknown, field?: unknown}} ErrorBody */

/**
 * Reads an error answer's message: `{"error": {"message", "field"}}`, or the start of the text.
 * @param {Response} res
 */
export async function errorMessage(res) {
	let text = "";
	try {
		text = await res.text();
	} catch {}
	let message = "";
	try {
		/** @type {(ErrorBody & {error?: ErrorBody}) | null} any JSON; only strings are used */
		const body = JSON.parse(text);
		const err = body?.error ?? body;
		if (typeof err?.message === "string") {
			message = err.message;
			if (typeof err.field === "string" && err.field) message += ` (field: ${err.field})`;
		}
	} catch {}
	if (!message) message = text.trim().slice(0, 200);
	const head = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
	return message ? `${head}: ${message}` : head;
}

/** Discards a response body so the connection can be reused. */
export async function drain(/** @type {Response} */ res) {
	try {
		await res.body?.cancel();
	} catch {}
}

/** @typedef {{client: Client, ui: Ui}} Context what a command runs with */

export class Client {
	/**
	 * @param {{url: string, token: string, retries: number, retryForMs?: number, ui: Ui, userAgent: string}} options
	 */
	constructor({ url, token, retries, retryForMs = Number.POSITIVE_INFINITY, ui, userAgent }) {
		this.baseUrl = url;
		this.token = token;
		this.retries = retries;
		this.retryForMs = retryForMs;
		this.ui = ui;
		this.userAgent = userAgent;
		this.limiter = noteLimiter();
		/** Whether GET /versions has shown this to be a Glance endpoint (asked on a first 404). */
		this.endpointChecked = false;
	}

	/**
	 * retrying() with this client's budget and shared note limiter.
	 * @param {string} what
	 * @param {{verb?: string, signal?: AbortSignal}} [options]
	 */
	retrying(what, options = {}) {
		return retrying(this.ui, what, this.retries, {
			...options,
			retryForMs: this.retryForMs,
			limiter: this.limiter,
		});
	}

	/**
	 * After a 404: is this a glance-edge / Glance endpoint at all? A wrong URL path (a missing
	 * prefix, another service) answers 404 to everything, which would otherwise read as "image
	 * not found". Glance answers GET /versions with its versions document.
	 */
	async checkEndpoint() {
		if (this.endpointChecked) return;
		let status = "no answer";
		try {
			const res = await fetch(this.url("/versions"), {
				headers: { "User-Agent": this.userAgent, Accept: "application/json" },
				signal: AbortSignal.timeout(30_000),
			});
			status = `HTTP ${res.status}`;
			/** @type {{versions?: {id?: unknown}[]} | null} */
			let doc = null;
			try {
				doc = /** @type {{versions?: {id?: unknown}[]}} */ (await res.json());
			} catch {}
			if (
				(res.status === 200 || res.status === 300) &&
				Array.isArray(doc?.versions) &&
				doc.versions.some((v) => typeof v?.id === "string" && /^v1(\.|$)/.test(v.id))
			) {
				this.endpointChecked = true;
				return;
			}
		} catch (err) {
			status = describeNetworkError(err);
		}
		throw refused(
			`${this.baseUrl} is not a glance-edge / Glance endpoint (GET ${this.url("/versions")}: ${status}, no v1 in a versions document): check --url (OS_IMAGE_URL)`,
		);
	}

	url(/** @type {string} */ path) {
		return `${this.baseUrl}${path}`;
	}

	/**
	 * One request, no retries. Network errors are thrown as they come from fetch.
	 * @param {string} method
	 * @param {string} path
	 * @param {SendOptions} [options]
	 */
	async send(
		method,
		path,
		{ headers = {}, json, body, signal, timeoutMs = REQUEST_TIMEOUT_MS } = {},
	) {
		/** @type {Record<string, string>} */
		const allHeaders = { "X-Auth-Token": this.token, "User-Agent": this.userAgent, ...headers };
		/** @type {RequestInit} */
		const init = { method, headers: allHeaders, redirect: "follow" };
		if (json !== undefined) {
			allHeaders["Content-Type"] = "application/json";
			init.body = JSON.stringify(json);
		} else if (body !== undefined) {
			init.body = body;
			init.duplex = "half";
		}
		const signals = [signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined].filter(
			(s) => s !== undefined,
		);
		if (signals.length) init.signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
		return fetch(this.url(path), init);
	}

	/**
	 * A request retried on 5xx/429/408 (plus `retryStatuses`) and on network errors. Returns the
	 * last response whatever its status; throws a NETWORK CliError when the network never
	 * answered. Only for requests whose body can be sent again (JSON or none).
	 * @param {string} method
	 * @param {string} path
	 * @param {CallOptions & Omit<SendOptions, "body">} options
	 */
	async call(method, path, { what, retryStatuses = [], ...options }) {
		const attempt = async () => {
			let res;
			try {
				res = await this.send(method, path, options);
			} catch (err) {
				if (options.signal?.aborted) throw err;
				throw new AttemptFailure(describeNetworkError(err), { cause: err });
			}
			if (isRetryableStatus(res.status) || retryStatuses.includes(res.status)) {
				throw new AttemptFailure(`HTTP ${res.status}`, { res });
			}
			return res;
		};
		let res;
		try {
			res = await withRetries(attempt, this.retrying(what, { signal: options.signal }));
		} catch (err) {
			if (!(err instanceof AttemptFailure)) throw err;
			// Out of retries: the caller reads the last answer like any other.
			if (err.res) return err.res;
			const attempts = err.attempts;
			throw networkFailure(
				`${what}: ${err.message} (${attempts} attempt${attempts > 1 ? "s" : ""})`,
				{ cause: err.cause },
			);
		}
		if (res.status === 404 && !this.endpointChecked) {
			try {
				await this.checkEndpoint();
			} catch (err) {
				await drain(res);
				throw err;
			}
		}
		return res;
	}

	/**
	 * The CliError for an unsuccessful response: 5xx/429/408 (after retries) → NETWORK (exit 4),
	 * any other status → REFUSED (exit 2). Reads the body.
	 * @param {string} what
	 * @param {Response} res
	 */
	async failure(what, res) {
		const message = `${what}: ${await errorMessage(res)}`;
		return isRetryableStatus(res.status) ? networkFailure(message) : refused(message);
	}

	/**
	 * HEAD /v1/images/{id}: the image from its headers, or null on 404.
	 * @param {string} id
	 * @param {{timeoutMs?: number}} [options] per attempt (default: the client's); an attempt
	 *   that runs out is retried
	 */
	async headImage(id, { timeoutMs } = {}) {
		const what = `reading image ${id}`;
		const res = await this.call("HEAD", `/v1/images/${encodeURIComponent(id)}`, {
			what,
			timeoutMs,
		});
		if (res.status === 404) return null;
		if (!res.ok) throw await this.failure(what, res);
		await drain(res);
		return imageFromHeaders(res.headers);
	}
}
