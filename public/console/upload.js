// Uploads through the upload-session extension: hash, register, send parts in parallel, complete,
// wait for the verdict. What a reload needs to resume is kept in IndexedDB.

import { ApiError, api, apiJson, errorFrom, headImage, session } from "./api.js";

const PARALLEL_PARTS = 3;
const DB_NAME = "glance-edge-console";
const STORE = "uploads";

function openDb() {
	return new Promise((resolve, reject) => {
		const request = indexedDB.open(DB_NAME, 1);
		request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
		request.onsuccess = () => resolve(request.result);
		request.onerror = () => reject(request.error);
	});
}

async function store(mode, action) {
	const db = await openDb();
	try {
		return await new Promise((resolve, reject) => {
			const request = action(db.transaction(STORE, mode).objectStore(STORE));
			request.onsuccess = () => resolve(request.result);
			request.onerror = () => reject(request.error);
		});
	} finally {
		db.close();
	}
}

/** A file is "the same" when name, size and modification time match, and the tenant too. */
export const fileKey = (file) =>
	[session.who?.tenant ?? "", file.name, file.size, file.lastModified].join("\u0000");

export const pendingUploads = async () =>
	(await store("readonly", (s) => s.getAll())).filter(
		(r) => r.tenant === (session.who?.tenant ?? ""),
	);
export const pendingFor = (file) => store("readonly", (s) => s.get(fileKey(file)));
const remember = (record) => store("readwrite", (s) => s.put(record));
export const forget = (key) => store("readwrite", (s) => s.delete(key));

/** The disk and container format a file's first bytes suggest (null when nothing is known). */
export async function sniffFormats(file) {
	const head = new Uint8Array(await file.slice(0, 0x8006).arrayBuffer());
	const text = (at, length) => String.fromCharCode(...head.subarray(at, at + length));
	const tail =
		file.size >= 512
			? String.fromCharCode(
					...new Uint8Array(await file.slice(file.size - 512, file.size - 504).arrayBuffer()),
				)
			: "";
	if (text(0, 4) === "QFI\xfb") return { disk: "qcow2", container: "bare", found: "a QCOW2 disk" };
	if (text(0, 4) === "KDMV" || text(0, 21) === "# Disk DescriptorFile")
		return { disk: "vmdk", container: "bare", found: "a VMDK disk" };
	if (text(0, 8) === "vhdxfile") return { disk: "vhdx", container: "bare", found: "a VHDX disk" };
	if (text(0, 8) === "conectix" || tail === "conectix")
		return { disk: "vhd", container: "bare", found: "a VHD disk" };
	if (
		head.length >= 0x44 &&
		head[0x40] === 0x7f &&
		head[0x41] === 0x10 &&
		head[0x42] === 0xda &&
		head[0x43] === 0xbe
	)
		return { disk: "vdi", container: "bare", found: "a VirtualBox VDI disk" };
	if (text(0x8001, 5) === "CD001")
		return { disk: "iso", container: "bare", found: "an ISO 9660 image" };
	if (text(257, 5) === "ustar")
		return { disk: "vmdk", container: "ova", found: "a tar archive (OVA?)" };
	if (text(0, 6) === "LUKS\xba\xbe")
		return { disk: "raw", container: "bare", found: "a LUKS volume" };
	if (head.length >= 512 && head[510] === 0x55 && head[511] === 0xaa)
		return { disk: "raw", container: "bare", found: "a raw disk with a partition table" };
	return { disk: "raw", container: "bare", found: null };
}

function hashFile(file, onProgress) {
	return new Promise((resolve, reject) => {
		const worker = new Worker(new URL("./hash-worker.js", import.meta.url), { type: "module" });
		worker.onmessage = ({ data }) => {
			if (data.error) reject(new Error(`The file could not be read: ${data.error}`));
			else if (data.hashed !== undefined) return onProgress(data.hashed);
			else resolve(data);
			worker.terminate();
		};
		worker.onerror = (event) => {
			reject(new Error(`The file could not be hashed: ${event.message}`));
			worker.terminate();
		};
		worker.postMessage(file);
	});
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One part as a PUT with upload progress (fetch reports none); status 0 means no connection. */
function putPart(url, blob, onSent, signal) {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open("PUT", url);
		xhr.setRequestHeader("X-Auth-Token", session.token ?? "");
		xhr.setRequestHeader("Content-Type", "application/octet-stream");
		xhr.setRequestHeader("Accept", "application/json");
		xhr.upload.onprogress = (event) => onSent(event.loaded);
		xhr.onload = async () => {
			if (xhr.status >= 200 && xhr.status < 300) return resolve();
			reject(await errorFrom(new Response(xhr.responseText, { status: xhr.status })));
		};
		xhr.onerror = () => reject(new ApiError(0, "The connection was lost."));
		xhr.ontimeout = xhr.onerror;
		const abort = () => xhr.abort();
		signal.addEventListener("abort", abort);
		xhr.onabort = () => reject(new DOMException("Upload stopped", "AbortError"));
		xhr.send(blob);
	});
}

/** Waits until the server answers again: the browser's online event or a probe, with backoff. */
async function untilReachable(signal) {
	for (let wait = 1000; !signal.aborted; wait = Math.min(wait * 2, 10_000)) {
		await Promise.race([
			sleep(wait),
			new Promise((r) => addEventListener("online", r, { once: true })),
		]);
		if (!navigator.onLine) continue;
		try {
			const res = await fetch("/console/api/config", { cache: "no-store" });
			if (res.ok) return;
		} catch {
			// still unreachable
		}
	}
}

/**
 * Runs one upload to its verdict. `events` gets {phase, ...} updates: hashing, registering,
 * sending (with bytes, rate, eta, parts), paused, verifying, done (with the image's status).
 */
export async function upload({ file, name, disk, container, isPublic }, events, signal) {
	const key = fileKey(file);
	let record = await pendingFor(file);
	const emit = (phase, extra = {}) => events({ phase, ...extra });
	const retrying = async (action) => {
		for (;;) {
			try {
				return await action();
			} catch (err) {
				if (!(err instanceof ApiError) || !(err.offline || err.status >= 500)) throw err;
				emit("paused", {
					message: err.offline
						? "Connection lost: the upload is paused and resumes by itself."
						: err.message,
				});
				await untilReachable(signal);
				if (signal.aborted) throw new DOMException("Upload stopped", "AbortError");
			}
		}
	};

	if (record) {
		const state = await retrying(() => headImage(record.imageId)).catch((err) => {
			if (err.status === 404) return null;
			throw err;
		});
		if (!state || state.status === "killed" || state.status === "deleted") {
			await forget(key);
			record = undefined;
		} else if (state.status !== "queued") {
			return await verdict(record, key, emit, retrying, signal);
		}
	}

	if (!record) {
		emit("hashing", { bytes: 0, total: file.size });
		const digests = await hashFile(file, (bytes) => emit("hashing", { bytes, total: file.size }));
		if (signal.aborted) throw new DOMException("Upload stopped", "AbortError");
		emit("registering");
		const headers = {
			"x-image-meta-name": name,
			"x-image-meta-disk_format": disk,
			"x-image-meta-container_format": container,
		};
		if (isPublic) headers["x-image-meta-is_public"] = "true";
		const { image } = await retrying(() => apiJson("/v1/images", { method: "POST", headers }));
		record = {
			key,
			tenant: session.who?.tenant ?? "",
			imageId: image.id,
			imageName: name,
			disk,
			container,
			fileName: file.name,
			size: file.size,
			lastModified: file.lastModified,
			md5: digests.md5,
			sha512: digests.sha512,
			startedAt: new Date().toISOString(),
		};
		await remember(record);
	}

	const base = `/v1/images/${record.imageId}/upload-session`;
	let sessionInfo = await retrying(() => apiJson(base)).catch((err) => {
		if (err.status === 404) return null;
		throw err;
	});
	if (!sessionInfo) {
		sessionInfo = await retrying(() =>
			apiJson(base, {
				method: "POST",
				json: { size: file.size, checksum: record.md5, os_hash_value: record.sha512 },
			}),
		);
	}
	const { part_size: partSize, part_count: partCount, parts: stored } = sessionInfo.session;
	const partBytes = (n) => (n < partCount ? partSize : file.size - (n - 1) * partSize);
	const done = new Set(stored);
	const missing = [];
	for (let n = 1; n <= partCount; n++) if (!done.has(n)) missing.push(n);
	const resumedBytes = [...done].reduce((sum, n) => sum + partBytes(n), 0);
	const inFlight = new Map();
	let confirmed = resumedBytes;
	const started = performance.now();
	const report = () => {
		const sent = confirmed + [...inFlight.values()].reduce((a, b) => a + b, 0);
		const seconds = (performance.now() - started) / 1000;
		const rate = seconds > 0.2 ? (sent - resumedBytes) / seconds : 0;
		emit("sending", {
			bytes: sent,
			total: file.size,
			rate,
			eta: rate > 0 ? (file.size - sent) / rate : Number.POSITIVE_INFINITY,
			parts: done.size,
			partCount,
			resumedParts: stored.length,
		});
	};
	report();
	const worker = async () => {
		while (missing.length > 0) {
			const n = missing.shift();
			const blob = file.slice((n - 1) * partSize, (n - 1) * partSize + partBytes(n));
			await retrying(async () => {
				inFlight.set(n, 0);
				try {
					await putPart(
						`${base}/parts/${n}`,
						blob,
						(sent) => {
							inFlight.set(n, sent);
							report();
						},
						signal,
					);
				} finally {
					inFlight.delete(n);
				}
			});
			done.add(n);
			confirmed += partBytes(n);
			report();
		}
	};
	await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, missing.length) }, worker));
	emit("completing");
	await retrying(() => api(`${base}/complete`, { method: "POST" }));
	return await verdict(record, key, emit, retrying, signal);
}

async function verdict(record, key, emit, retrying, signal) {
	emit("verifying", { imageId: record.imageId });
	for (let wait = 500; !signal.aborted; wait = Math.min(wait * 1.5, 3000)) {
		const state = await retrying(() => headImage(record.imageId));
		if (state.status !== "saving" && state.status !== "queued") {
			await forget(key);
			const { inspection } = await apiJson(`/console/api/images/${record.imageId}/inspection`);
			emit("done", { imageId: record.imageId, ...state, inspection });
			return state;
		}
		await sleep(wait);
	}
	throw new DOMException("Upload stopped", "AbortError");
}
