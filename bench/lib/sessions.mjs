// The upload-session and CLI figures (issue 18): a large image sent through an upload session in
// the CLI's order, from the first part to `active`, against the same parts sent as a bare R2
// multipart upload; and `glance-edge upload` of a file against one bare R2 put of it.

import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { call, streamUpload } from "./load.mjs";

/** As the CLI: up to this many part requests open at once (its default --parallel). */
export const PARALLEL = 4;
/** The baseline's part size: glance-edge's default SESSION_PART_BYTES, which the session gets. */
const BASE_PART_BYTES = 32 * 1024 * 1024;
const PART_TIMEOUT_MS = 120_000;
const ACTIVE_TIMEOUT_MS = 600_000;
const POLL_MS = 50;
/**
 * A part answered 503 or cut off is sent again, as the CLI does (after its first backoff,
 * ~1 s): under `wrangler dev` a part's connection is now and then dropped mid-body (see
 * docs/benchmarks.md), and a run that stopped there measured nothing. Retries are counted and
 * printed with the figure; the time they cost stays in it.
 */
const PART_RETRIES = 3;
const RETRY_DELAY_MS = 1_000;

/** PUTs bytes [start, end) of `file`; resolves with the answer, calls `onSent` when all is sent. */
function putRange({ url, headers, file, start, end, onSent }) {
	const target = new URL(url);
	return new Promise((resolve, reject) => {
		const req = http.request(
			{
				host: target.hostname,
				port: target.port,
				path: `${target.pathname}${target.search}`,
				method: "PUT",
				headers: {
					...headers,
					"content-type": "application/octet-stream",
					"content-length": String(end - start),
				},
				signal: AbortSignal.timeout(PART_TIMEOUT_MS),
			},
			(res) => {
				let text = "";
				res.setEncoding("utf8");
				res.on("data", (d) => {
					text += d;
				});
				res.on("end", () => {
					let json = null;
					try {
						json = JSON.parse(text);
					} catch {}
					resolve({ status: res.statusCode, json, text });
				});
			},
		);
		req.on("error", reject);
		req.on("finish", onSent);
		const source = fs.createReadStream(file, { start, end: end - 1, highWaterMark: 1 << 20 });
		source.on("error", (err) => req.destroy(err));
		source.pipe(req);
	});
}

/** One part, sent again (up to PART_RETRIES times) when it is dropped or answered 503. */
async function putPart(range, retried) {
	for (let attempt = 0; ; attempt++) {
		let answer;
		try {
			answer = await putRange(range);
		} catch (err) {
			if (attempt >= PART_RETRIES || err?.name === "AbortError") throw err;
			answer = null;
		}
		if (answer && (answer.status !== 503 || attempt >= PART_RETRIES)) return answer;
		retried.count += 1;
		await sleep(RETRY_DELAY_MS);
	}
}

/**
 * Sends every part of `file` the way `glance-edge upload` does: in order, up to PARALLEL requests
 * open, each part's request started once the part before it is all sent, a dropped part sent
 * again. Returns the answers, by part number, when the first part started and the last answer
 * came, and how many parts were sent again.
 */
export async function sendParts({ file, size, partSize, partUrl, headers }) {
	const count = Math.ceil(size / partSize);
	const sent = Array.from({ length: count + 1 }, () => {
		let resolve;
		const promise = new Promise((r) => {
			resolve = r;
		});
		return { promise, resolve };
	});
	sent[0].resolve();
	const answers = new Array(count + 1);
	const retried = { count: 0 };
	let next = 1;
	const started = performance.now();
	const worker = async () => {
		for (;;) {
			const n = next++;
			if (n > count) return;
			await sent[n - 1].promise;
			const start = (n - 1) * partSize;
			const answer = await putPart(
				{
					url: partUrl(n),
					headers,
					file,
					start,
					end: Math.min(size, start + partSize),
					onSent: () => sent[n].resolve(),
				},
				retried,
			);
			sent[n].resolve();
			if (answer.status !== 200) {
				throw new Error(`part ${n} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
			}
			answers[n] = answer.json;
		}
	};
	await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
	return { answers, started, partsDone: performance.now(), retries: retried.count };
}

/**
 * One image through glance-edge's upload session: register, open, parts in the CLI's order,
 * complete (declaring the file's digests, as the CLI does), then HEAD until active. Times from
 * the first part on; checks the digests the image ends up with.
 */
export async function sessionUpload({ url, auth, body }) {
	const json = { ...auth, "content-type": "application/json" };
	const created = await call(`${url}/v1/images`, {
		method: "POST",
		headers: json,
		body: JSON.stringify({ name: "bench-session", disk_format: "raw", container_format: "bare" }),
	});
	if (created.status !== 202) throw new Error(`register answered ${created.status}`);
	const id = created.json.image.id;
	const session = `${url}/v1/images/${id}/upload-session`;
	const opened = await call(session, {
		method: "POST",
		headers: json,
		body: JSON.stringify({ size: body.size }),
	});
	if (opened.status !== 201) throw new Error(`open session answered ${opened.status}`);
	const { part_size: partSize } = opened.json.session;
	// The baseline sends the same parts: a session in other parts would compare other work.
	if (partSize !== BASE_PART_BYTES) {
		throw new Error(`the session's parts are ${partSize} bytes, the baseline's ${BASE_PART_BYTES}`);
	}
	const { started, partsDone, retries } = await sendParts({
		file: body.file,
		size: body.size,
		partSize,
		partUrl: (n) => `${session}/parts/${n}`,
		headers: auth,
	});
	const completed = await call(`${session}/complete`, {
		method: "POST",
		headers: json,
		body: JSON.stringify({ checksum: body.md5, os_hash_value: body.sha512 }),
	});
	if (completed.status !== 202) throw new Error(`complete answered ${completed.status}`);
	const completeAnswered = performance.now();
	let status = completed.json.image.status;
	const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
	while (status === "saving" && Date.now() < deadline) {
		await sleep(POLL_MS);
		status = (await headStatus(`${url}/v1/images/${id}`, auth)) ?? status;
	}
	const active = performance.now();
	if (status !== "active") throw new Error(`the session's image ended ${status}`);
	const image = (await call(`${url}/v2/images/${id}`, { headers: auth })).json;
	if (image?.checksum !== body.md5 || image?.os_hash_value !== body.sha512) {
		throw new Error("the session's image has digests that do not match the file");
	}
	return {
		key: id,
		retries,
		...timings(body.size, started, partsDone, completeAnswered, active),
	};
}

/**
 * The image's status by HEAD; null when the request failed or was not answered in 5 s (poll
 * again): under `wrangler dev` a request that arrives while the queue consumer verifies is never
 * answered, and one such poll counted 300 s into a figure.
 */
async function headStatus(url, headers) {
	try {
		const head = await fetch(url, { method: "HEAD", headers, signal: AbortSignal.timeout(5_000) });
		return head.headers.get("x-image-meta-status");
	} catch {
		return null;
	}
}

/** The same parts as a bare R2 multipart upload on the baseline: create, parts, complete. */
export async function bareMultipart({ url, body, key }) {
	const created = await call(`${url}/multipart/${key}`, { method: "POST" });
	if (created.status !== 201) throw new Error(`bare multipart create answered ${created.status}`);
	const uploadId = encodeURIComponent(created.json.uploadId);
	const { answers, started, partsDone, retries } = await sendParts({
		file: body.file,
		size: body.size,
		partSize: BASE_PART_BYTES,
		partUrl: (n) => `${url}/multipart/${key}/${n}?uploadId=${uploadId}`,
		headers: {},
	});
	const completed = await call(`${url}/multipart/${key}/complete?uploadId=${uploadId}`, {
		method: "POST",
		headers: { "content-type": "application/json" },
		body: JSON.stringify(answers.slice(1)),
	});
	if (completed.status !== 201 || completed.json?.size !== body.size) {
		throw new Error(`bare multipart complete answered ${completed.status}`);
	}
	const done = performance.now();
	return { key, retries, ...timings(body.size, started, partsDone, done, done) };
}

function timings(size, started, partsDone, completeAnswered, active) {
	const seconds = (active - started) / 1000;
	const partsSeconds = (partsDone - started) / 1000;
	return {
		seconds,
		partsSeconds,
		/** From the last part's answer to the image being active (the bare side: complete's answer). */
		lastPartToActive: (active - partsDone) / 1000,
		completeSeconds: (completeAnswered - partsDone) / 1000,
		mbps: size / seconds / 1e6,
		partsMbps: size / partsSeconds / 1e6,
	};
}

/**
 * `glance-edge upload` of `body`'s file, as a user runs it (hashing, parts, completion, waiting
 * for active, comparing digests); its wall time, and the image id it prints.
 */
export async function cliUpload({ root, url, token, body, stateDir }) {
	fs.mkdirSync(stateDir, { recursive: true });
	const args = [
		path.join(root, "bin", "glance-edge.mjs"),
		"upload",
		body.file,
		"--name",
		"bench-cli",
		"--disk-format",
		"raw",
		"--container-format",
		"bare",
		"--url",
		url,
		"--token",
		token,
		"--state-dir",
		stateDir,
		"--quiet",
	];
	const started = performance.now();
	const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	let err = "";
	child.stdout.on("data", (d) => {
		out += d;
	});
	child.stderr.on("data", (d) => {
		err += d;
	});
	const code = await new Promise((resolve) => child.on("close", resolve));
	const seconds = (performance.now() - started) / 1000;
	if (code !== 0) throw new Error(`glance-edge upload exited ${code}: ${err.slice(0, 500)}`);
	return { key: out.trim(), seconds, mbps: body.size / seconds / 1e6 };
}

/** One bare R2 put of the file on the baseline (what the CLI figure is compared with). */
export async function barePut({ url, body, key }) {
	const r = await streamUpload({
		url: `${url}/objects/${key}`,
		method: "PUT",
		headers: { "content-type": "application/octet-stream" },
		file: body.file,
		size: body.size,
	});
	if (r.status !== 201 || r.json?.size !== body.size)
		throw new Error(`bare put answered ${r.status}`);
	return { key, seconds: r.seconds, mbps: r.mbps };
}
