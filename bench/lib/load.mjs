// Load generation over loopback: fixed-duration closed loops for small requests, and single
// streamed requests for image bodies (read from disk as they are sent, never held in memory).

import fs from "node:fs";
import http from "node:http";
import autocannon from "autocannon";

/**
 * `connections` clients each sending the request back to back for `seconds`.
 * autocannon does the work, except for HEAD: autocannon's parser does not know a HEAD response
 * has no body and waits for one until the connection closes, so HEAD goes through a closed loop
 * on node:http (which glance-edge and the baseline both get, so the ratio is like for like).
 * Returns requests per second, p50 and p99 latency in ms, and how many requests failed.
 */
export async function requestLoad({
	url,
	method = "GET",
	headers = {},
	body,
	connections,
	seconds,
}) {
	if (method === "HEAD") return httpLoop({ url, method, headers, connections, seconds });
	const result = await autocannon({
		url,
		method,
		headers,
		body,
		connections,
		duration: seconds,
	});
	const ok = result["2xx"];
	return {
		rps: ok / result.duration,
		p50: result.latency.p50,
		p99: result.latency.p99,
		requests: ok,
		failed: result.non2xx + result.errors + result.timeouts,
	};
}

async function httpLoop({ url, method, headers, connections, seconds }) {
	const target = new URL(url);
	const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
	const latencies = [];
	let failed = 0;
	const once = () =>
		new Promise((resolve) => {
			const started = performance.now();
			const req = http.request(
				{
					host: target.hostname,
					port: target.port,
					path: `${target.pathname}${target.search}`,
					method,
					headers,
					agent,
				},
				(res) => {
					res.resume();
					res.on("end", () => {
						if (res.statusCode >= 200 && res.statusCode < 300) {
							latencies.push(performance.now() - started);
						} else {
							failed++;
						}
						resolve();
					});
				},
			);
			req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("timed out")));
			req.on("error", () => {
				failed++;
				resolve();
			});
			req.end();
		});
	const started = performance.now();
	const deadline = started + seconds * 1000;
	const client = async () => {
		while (performance.now() < deadline) await once();
	};
	await Promise.all(Array.from({ length: connections }, client));
	const elapsed = (performance.now() - started) / 1000;
	agent.destroy();
	latencies.sort((a, b) => a - b);
	const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))];
	return {
		rps: latencies.length / elapsed,
		p50: at(0.5) ?? Number.NaN,
		p99: at(0.99) ?? Number.NaN,
		requests: latencies.length,
		failed,
	};
}

const READ_BYTES = 1024 * 1024;
/** A small request that takes longer has failed (autocannon's default too). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Longest a body may take: 1 GiB at 6 MB/s. A stuck server fails the run instead of hanging it. */
const BODY_TIMEOUT_MS = 180_000;

/**
 * Streams `file` as one request body: with Content-Length, or chunked with no length when
 * `chunked` is set. Resolves when the whole answer has arrived, with the throughput in MB/s
 * (10^6 bytes) over the whole exchange and the parsed JSON answer.
 */
export function streamUpload({ url, method, headers, file, size, chunked = false }) {
	const target = new URL(url);
	const sendHeaders = { ...headers };
	if (!chunked) sendHeaders["content-length"] = String(size);
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const req = http.request(
			{
				host: target.hostname,
				port: target.port,
				path: `${target.pathname}${target.search}`,
				method,
				headers: sendHeaders,
				signal: AbortSignal.timeout(BODY_TIMEOUT_MS),
			},
			(res) => {
				let text = "";
				res.setEncoding("utf8");
				res.on("data", (d) => {
					text += d;
				});
				res.on("end", () => {
					const seconds = (performance.now() - started) / 1000;
					let json = null;
					try {
						json = JSON.parse(text);
					} catch {
						// Not JSON: the status tells.
					}
					resolve({ status: res.statusCode, json, text, seconds, mbps: size / seconds / 1e6 });
				});
			},
		);
		req.on("error", reject);
		const source = fs.createReadStream(file, { highWaterMark: READ_BYTES });
		source.on("error", (err) => req.destroy(err));
		source.pipe(req);
	});
}

/** GETs `url` and throws the body away as it arrives; MB/s over the whole exchange. */
export function streamDownload({ url, headers }) {
	const target = new URL(url);
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const req = http.request(
			{
				host: target.hostname,
				port: target.port,
				path: `${target.pathname}${target.search}`,
				method: "GET",
				headers,
				signal: AbortSignal.timeout(BODY_TIMEOUT_MS),
			},
			(res) => {
				let bytes = 0;
				res.on("data", (d) => {
					bytes += d.length;
				});
				res.on("end", () => {
					const seconds = (performance.now() - started) / 1000;
					resolve({ status: res.statusCode, bytes, seconds, mbps: bytes / seconds / 1e6 });
				});
				res.on("error", reject);
			},
		);
		req.on("error", reject);
		req.end();
	});
}

/**
 * A small request with a JSON answer (housekeeping, not measured). A GET or HEAD that fails in
 * transport is sent once more: under `wrangler dev` such a request has failed without reaching
 * the worker (which logged nothing), once in a run of thousands, and a 30-minute run should not
 * end on a request it does not time. The failure is logged with its cause; a second one ends it.
 */
export async function call(url, init = {}) {
	const method = (init.method ?? "GET").toUpperCase();
	let res;
	try {
		res = await fetch(url, init);
	} catch (err) {
		const cause = err?.cause?.code ?? err?.cause?.message ?? err?.message;
		if (method !== "GET" && method !== "HEAD") {
			throw new Error(`${method} ${url} failed: ${cause}`, { cause: err });
		}
		console.error(`[bench] ${method} ${url} failed (${cause}); sending it again`);
		res = await fetch(url, init);
	}
	const text = await res.text();
	let json = null;
	try {
		json = JSON.parse(text);
	} catch {
		// Not JSON.
	}
	return { status: res.status, json, text };
}
