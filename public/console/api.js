// The console's one way to the API: adds the token, and turns every failure into a sentence.

const TOKEN_KEY = "glance-edge.console.token";
const WHO_KEY = "glance-edge.console.who";

/** sessionStorage: the token dies with the tab and is never put in a URL. */
export const session = {
	get token() {
		return sessionStorage.getItem(TOKEN_KEY);
	},
	get who() {
		try {
			return JSON.parse(sessionStorage.getItem(WHO_KEY) ?? "null");
		} catch {
			return null;
		}
	},
	save(token, who) {
		sessionStorage.setItem(TOKEN_KEY, token);
		sessionStorage.setItem(WHO_KEY, JSON.stringify(who));
	},
	clear() {
		sessionStorage.removeItem(TOKEN_KEY);
		sessionStorage.removeItem(WHO_KEY);
	},
};

/** Words for answers without a readable body (HEAD, or a proxy's error page). */
const STATUS_WORDS = {
	400: "The server could not accept this request.",
	401: "You are not signed in, or your sign-in has expired.",
	403: "You are not allowed to do this.",
	404: "That image does not exist, or you cannot see it.",
	405: "The server does not allow this here.",
	409: "The image is not in a state that allows this; it may have changed meanwhile.",
	412: "The image was deleted meanwhile.",
	413: "That is too large for this server (a size limit or a quota).",
	500: "The server failed unexpectedly. Try again; if it keeps failing, tell its operator.",
	501: "This server does not offer that.",
	503: "A service the server needs is unavailable. Try again in a moment.",
};

export class ApiError extends Error {
	/** status 0: the server could not be reached at all. */
	constructor(status, message) {
		super(message);
		this.status = status;
	}
	get offline() {
		return this.status === 0;
	}
}

export function wordsFor(status) {
	return STATUS_WORDS[status] ?? `The server answered with an unexpected status (${status}).`;
}

/** The sentence behind a failed answer: the server's own message when it sent one. */
export async function errorFrom(res) {
	let message = wordsFor(res.status);
	try {
		const body = await res.json();
		if (typeof body?.error?.message === "string" && body.error.message)
			message = body.error.message;
	} catch {
		// Not JSON: the words for the status stand.
	}
	return new ApiError(res.status, message);
}

let onSignedOut = () => {};
export function whenSignedOut(callback) {
	onSignedOut = callback;
}

/**
 * fetch with the token. `json` sends a JSON body; `anonymous` sends no token. Rejects with an
 * ApiError whose message can be shown as it is.
 */
export async function api(path, { method = "GET", headers = {}, json, body, anonymous } = {}) {
	const all = { Accept: "application/json", ...headers };
	if (!anonymous && session.token) all["X-Auth-Token"] = session.token;
	if (json !== undefined) {
		all["Content-Type"] = "application/json";
		body = JSON.stringify(json);
	}
	let res;
	try {
		res = await fetch(path, { method, headers: all, body, cache: "no-store" });
	} catch {
		throw new ApiError(0, "The server could not be reached. Check your connection.");
	}
	if (!res.ok) {
		const error = await errorFrom(res);
		if (res.status === 401 && !anonymous && session.token) {
			session.clear();
			onSignedOut("Your sign-in has ended. Sign in again.");
		}
		throw error;
	}
	return res;
}

export async function apiJson(path, options) {
	const res = await api(path, options);
	return res.status === 204 ? null : res.json();
}

/** The image record (JSON, not the bytes: see the server's content negotiation). */
export async function getImage(id) {
	return (await apiJson(`/v1/images/${encodeURIComponent(id)}`)).image;
}

/** The status headers of an image: cheap enough to poll. */
export async function headImage(id) {
	const res = await api(`/v1/images/${encodeURIComponent(id)}`, { method: "HEAD" });
	return {
		status: res.headers.get("x-image-meta-status"),
		status_reason: res.headers.get("x-image-meta-status_reason"),
		size: Number(res.headers.get("x-image-meta-size") ?? 0),
	};
}

const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function humanSize(bytes) {
	if (bytes === null || bytes === undefined) return "—";
	let value = Number(bytes);
	let unit = 0;
	while (value >= 1024 && unit < UNITS.length - 1) {
		value /= 1024;
		unit++;
	}
	if (unit === 0) return `${value} ${value === 1 ? "byte" : "bytes"}`;
	return `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function humanDuration(seconds) {
	if (!Number.isFinite(seconds)) return "—";
	if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
	if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
	return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

// One formatter for every cell: toLocaleString builds a new one per call, which a page of rows feels.
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function humanTime(iso) {
	if (!iso) return "—";
	const date = new Date(iso.endsWith("Z") || iso.includes("+") ? iso : `${iso}Z`);
	return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}
