// HTTP client for the glance-edge API: X-Auth-Token on every call, JSON errors turned into
// CliErrors with the right exit code, and retries with exponential backoff and jitter for the
// failures that may go away (5xx, 429, 408, network errors).

import { setTimeout as sleep } from "node:timers/promises";
import { describeNetworkError, networkFailure, refused } from "./errors.mjs";

const REQUEST_TIMEOUT_MS = 120_000;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 20_000;
const RETRY_AFTER_CAP_MS = 60_000;

/** Statuses worth retrying for any request. */
export function isRetryableStatus(status) {
	return status >= 500 || status === 429 || status === 408;
}

/**
 * The delay before retry number `attempt` (0-based): exponential with "equal jitter" (half
 * fixed, half random), or the server's Retry-After when it gave one (capped).
 */
export function backoffDelay(attempt, retryAfterHeader, random = Math.random) {
	const retryAfter = parseRetryAfter(retryAfterHeader);
	if (retryAfter !== null) return Math.min(retryAfter, RETRY_AFTER_CAP_MS);
	const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
	return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function parseRetryAfter(value) {
	if (value === null || value === undefined || value === "") return null;
	if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
	const date = Date.parse(value);
	return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * Strips a trailing slash and a trailing API version (`/v1`, `/v1.0`, `/v1.1`) from an
 * endpoint, as glanceclient does, so `OS_IMAGE_URL=https://host/v1` works too.
 */
export function normalizeEndpoint(raw) {
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

function decodeValue(text) {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

const NUMERIC_FIELDS = new Set(["size", "virtual_size", "min_disk", "min_ram"]);
const BOOLEAN_FIELDS = new Set(["is_public", "protected", "deleted"]);

/** The image described by a response's x-image-meta-* headers, as a JSON-like object. */
export function imageFromHeaders(headers) {
	const image = {};
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
	image.properties = properties;
	return image;
}

/** Reads an error answer's message: `{"error": {"message", "field"}}`, or the start of the text. */
export async function errorMessage(res) {
	let text = "";
	try {
		text = await res.text();
	} catch {}
	let message = "";
	try {
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
export async function drain(res) {
	try {
		await res.body?.cancel();
	} catch {}
}

export class Client {
	/**
	 * @param {{url: string, token: string, retries: number, ui: object, userAgent: string}} options
	 */
	constructor({ url, token, retries, ui, userAgent }) {
		this.baseUrl = url;
		this.token = token;
		this.retries = retries;
		this.ui = ui;
		this.userAgent = userAgent;
	}

	url(path) {
		return `${this.baseUrl}${path}`;
	}

	/** One request, no retries. Network errors are thrown as they come from fetch. */
	async send(
		method,
		path,
		{ headers = {}, json, body, signal, timeoutMs = REQUEST_TIMEOUT_MS } = {},
	) {
		const init = {
			method,
			headers: { "X-Auth-Token": this.token, "User-Agent": this.userAgent, ...headers },
			redirect: "follow",
		};
		if (json !== undefined) {
			init.headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(json);
		} else if (body !== undefined) {
			init.body = body;
			init.duplex = "half";
		}
		const signals = [signal, timeoutMs ? AbortSignal.timeout(timeoutMs) : null].filter(Boolean);
		if (signals.length) init.signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
		return fetch(this.url(path), init);
	}

	/**
	 * A request retried on 5xx/429/408 (plus `retryStatuses`) and on network errors. Returns the
	 * last response whatever its status; throws a NETWORK CliError when the network never
	 * answered. Only for requests whose body can be sent again (JSON or none).
	 */
	async call(method, path, { what, retryStatuses = [], ...options } = {}) {
		for (let attempt = 0; ; attempt++) {
			let res;
			try {
				res = await this.send(method, path, options);
			} catch (err) {
				if (options.signal?.aborted) throw err;
				if (attempt >= this.retries) {
					throw networkFailure(
						`${what}: ${describeNetworkError(err)} (${attempt + 1} attempt${attempt ? "s" : ""})`,
						{ cause: err },
					);
				}
				await this.pause(attempt, null, `${what}: ${describeNetworkError(err)}`);
				continue;
			}
			const retryable = isRetryableStatus(res.status) || retryStatuses.includes(res.status);
			if (!retryable || attempt >= this.retries) return res;
			await drain(res);
			await this.pause(attempt, res.headers.get("retry-after"), `${what}: HTTP ${res.status}`);
		}
	}

	async pause(attempt, retryAfter, reason) {
		const delay = backoffDelay(attempt, retryAfter);
		this.ui.note(`${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
		await sleep(delay);
	}

	/**
	 * The CliError for an unsuccessful response: 5xx/429/408 (after retries) → NETWORK (exit 4),
	 * any other status → REFUSED (exit 2). Reads the body.
	 */
	async failure(what, res) {
		const message = `${what}: ${await errorMessage(res)}`;
		return isRetryableStatus(res.status) ? networkFailure(message) : refused(message);
	}

	/** HEAD /v1/images/{id}: the image from its headers, or null on 404. */
	async headImage(id) {
		const what = `reading image ${id}`;
		const res = await this.call("HEAD", `/v1/images/${encodeURIComponent(id)}`, { what });
		if (res.status === 404) return null;
		if (!res.ok) throw await this.failure(what, res);
		await drain(res);
		return imageFromHeaders(res.headers);
	}
}
