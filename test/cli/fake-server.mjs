// A small in-memory stand-in for the glance-edge API the CLI uses (registration, HEAD, GET with
// Range, upload sessions, background verification), with hooks to inject failures and a log of
// every request. Plain node:http; for the CLI tests only.

import { createHash, randomUUID } from "node:crypto";
import http from "node:http";

export const TOKEN = "test-token";

const md5 = (data) => createHash("md5").update(data).digest("hex");
const sha512 = (data) => createHash("sha512").update(data).digest("hex");

/**
 * @param {{partSize?: number, verifyDelayMs?: number}} [options]
 */
export async function startFakeServer({ partSize = 1024 * 1024, verifyDelayMs = 30 } = {}) {
	/** id → image record (with `data` once stored, `session` while one is open). */
	const images = new Map();
	/** Every request: {method, path, status, part?, range?, contentLength?, transferEncoding?}. */
	const log = [];
	const hooks = {
		/** part number → list of statuses to answer (one per request) before behaving normally. */
		partFailures: new Map(),
		/** part numbers answered with this status every time (until removed). */
		partAlwaysFail: new Map(),
		/** part numbers whose PUT is read and never answered. */
		hangParts: new Set(),
		/** When set, verification kills the image with this reason. */
		killReason: null,
		/** When set, an active image reports this sha512 instead of the real one. */
		lieSha512: null,
		/** When set, the next download body is cut after this many bytes (then cleared). */
		dropDownloadAfter: null,
		/** Statuses answered to the next GET downloads (one per request). */
		downloadFailures: [],
		/** When true, Range is ignored (always 200 with the whole image). */
		ignoreRange: false,
		/** When true, completed uploads stay `saving` until release() is called. */
		holdVerification: false,
		/** How many HEADs of a `saving` image are read and never answered. */
		hangSavingHeads: 0,
	};
	const held = [];
	/** The bodies POSTed to the stand-in Keystone; the one password it accepts. */
	const keystoneRequests = [];
	const keystoneState = { password: "secret" };
	const hanging = new Set();

	function imageJson(img) {
		return {
			id: img.id,
			name: img.name,
			status: img.status,
			disk_format: img.disk_format,
			container_format: img.container_format,
			size: img.size,
			checksum: img.checksum,
			os_hash_algo: img.checksum ? "sha512" : null,
			os_hash_value: img.os_hash_value,
			is_public: img.is_public,
			protected: img.protected ?? false,
			min_disk: img.min_disk,
			min_ram: img.min_ram,
			properties: img.properties,
		};
	}

	function metaHeaders(img) {
		const h = {};
		const json = imageJson(img);
		for (const [k, v] of Object.entries(json)) {
			if (k === "properties" || v === null || v === undefined) continue;
			h[`x-image-meta-${k}`] = typeof v === "boolean" ? (v ? "True" : "False") : String(v);
		}
		if (img.status_reason) h["x-image-meta-status_reason"] = encodeURI(img.status_reason);
		for (const [k, v] of Object.entries(img.properties)) h[`x-image-meta-property-${k}`] = v;
		if (img.checksum) h.ETag = img.checksum;
		return h;
	}

	/** GET /v1/images/detail: the filters the CLI sends, `limit` and `marker`, sorted by id. */
	function listImages(params) {
		let all = [...images.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
		for (const [key, value] of params) {
			if (key === "limit" || key === "marker") continue;
			if (key.startsWith("property-")) {
				all = all.filter((i) => i.properties[key.slice(9)] === value);
			} else if (key === "is_public") {
				all = all.filter((i) => String(i.is_public) === value);
			} else {
				all = all.filter((i) => String(i[key]) === value);
			}
		}
		const marker = params.get("marker");
		if (marker) all = all.slice(all.findIndex((i) => i.id === marker) + 1);
		return all.slice(0, Number(params.get("limit") ?? 25)).map(imageJson);
	}

	/**
	 * A stand-in Keystone v3 at /identity/v3/auth/tokens: one user, `keystone.password`, whose
	 * scoped token is TOKEN and whose catalog holds an image endpoint (this server, with /v1).
	 */
	async function keystone(req, res) {
		const body = JSON.parse((await readBody(req)).toString("utf8"));
		keystoneRequests.push(body);
		const user = body.auth?.identity?.password?.user;
		if (user?.name !== "demo" || user?.password !== keystoneState.password) {
			return error(res, 401, "The request you have made requires authentication.");
		}
		const self = `http://127.0.0.1:${server.address().port}`;
		const text = JSON.stringify({
			token: {
				catalog: [
					{ type: "identity", endpoints: [{ interface: "public", url: `${self}/identity` }] },
					{
						type: "image",
						endpoints: [
							{ interface: "internal", region: "RegionOne", url: "http://internal.invalid:9292" },
							{ interface: "public", region: "RegionOne", url: `${self}/v1` },
						],
					},
				],
			},
		});
		res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": TOKEN });
		return res.end(text);
	}

	function sendJson(res, status, body) {
		const text = JSON.stringify(body);
		res.writeHead(status, {
			"Content-Type": "application/json",
			"Content-Length": Buffer.byteLength(text),
		});
		res.end(text);
	}

	function error(res, status, message) {
		sendJson(res, status, { error: { code: status, title: http.STATUS_CODES[status], message } });
	}

	async function readBody(req) {
		const chunks = [];
		for await (const c of req) chunks.push(c);
		return Buffer.concat(chunks);
	}

	function sessionJson(img) {
		const s = img.session;
		return {
			image_id: img.id,
			size: s.size,
			part_size: s.part_size,
			part_count: s.part_count,
			parts: [...s.parts.keys()].sort((a, b) => a - b),
			state: s.state,
			checksum: s.checksum,
			os_hash_value: s.os_hash_value,
			created_at: s.created_at,
			expires_at: s.expires_at,
		};
	}

	function verify(img) {
		if (hooks.holdVerification) {
			held.push(img);
			return;
		}
		const data = img.pending;
		img.pending = null;
		img.session = null;
		const s = img.declared;
		const actualMd5 = md5(data);
		const actualSha = sha512(data);
		let reason = null;
		if (s.checksum && s.checksum !== actualMd5)
			reason = `checksum mismatch: declared ${s.checksum}, got ${actualMd5}`;
		else if (s.os_hash_value && s.os_hash_value !== actualSha) reason = "os_hash_value mismatch";
		else if (hooks.killReason) reason = hooks.killReason;
		if (reason) {
			img.status = "killed";
			img.status_reason = reason;
			return;
		}
		img.data = data;
		img.size = data.length;
		img.checksum = actualMd5;
		img.os_hash_value = hooks.lieSha512 ?? actualSha;
		img.status = "active";
	}

	async function handle(req, res, entry) {
		const path0 = new URL(req.url, "http://x").pathname;
		if (path0 === "/versions" && req.method === "GET") {
			return sendJson(res, 200, {
				versions: [{ id: "v1.1", status: "CURRENT", links: [] }],
			});
		}
		if (path0 === "/identity/v3/auth/tokens" && req.method === "POST") {
			return keystone(req, res);
		}
		if (req.headers["x-auth-token"] !== TOKEN) {
			await readBody(req);
			return error(res, 401, "This server could not verify that you are authorized.");
		}
		const url = new URL(req.url, "http://x");
		const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
		if (parts[0] === "v2" && parts[1] === "images") return handleV2(req, res, parts);
		if (parts[0] !== "v1" || parts[1] !== "images") return error(res, 404, "no such route");
		if (parts.length === 3 && parts[2] === "detail" && req.method === "GET") {
			return sendJson(res, 200, { images: listImages(url.searchParams) });
		}
		const id = parts[2];
		const img = id ? images.get(id) : null;

		if (parts.length === 2 && req.method === "POST") {
			const body = JSON.parse((await readBody(req)).toString("utf8"));
			const newId = body.id ?? randomUUID();
			if (images.has(newId))
				return error(res, 409, `An image with identifier ${newId} already exists`);
			for (const f of ["name", "disk_format", "container_format"]) {
				if (!body[f]) return error(res, 400, `${f} is required`);
			}
			const record = {
				id: newId,
				name: body.name,
				disk_format: body.disk_format,
				container_format: body.container_format,
				properties: body.properties ?? {},
				is_public: body.is_public ?? false,
				min_disk: body.min_disk ?? 0,
				min_ram: body.min_ram ?? 0,
				status: "queued",
				size: null,
				checksum: null,
				os_hash_value: null,
				status_reason: null,
				session: null,
				data: null,
			};
			images.set(newId, record);
			return sendJson(res, 202, {
				location: `r2://bucket/images/${newId}`,
				image: imageJson(record),
			});
		}
		if (!img) {
			await readBody(req);
			return error(res, 404, `Image ${id} not found`);
		}

		if (parts.length === 3) {
			if (req.method === "PUT" && req.headers["content-type"] === "application/json") {
				const body = JSON.parse((await readBody(req)).toString("utf8"));
				entry.json = body;
				entry.purge = req.headers["x-glance-registry-purge-props"];
				for (const f of ["name", "min_disk", "min_ram", "is_public", "protected"]) {
					if (body[f] !== undefined) img[f] = body[f];
				}
				if (body.properties) {
					img.properties =
						entry.purge === "true"
							? { ...body.properties }
							: { ...img.properties, ...body.properties };
				}
				return sendJson(res, 200, { image: imageJson(img) });
			}
			if (req.method === "DELETE") {
				await readBody(req);
				if (img.protected)
					return error(res, 403, `Image ${id} is protected and cannot be deleted.`);
				images.delete(id);
				res.writeHead(200);
				return res.end();
			}
			if (req.method === "HEAD") {
				if (img.status === "saving" && hooks.hangSavingHeads > 0) {
					hooks.hangSavingHeads -= 1;
					hanging.add(res);
					return;
				}
				res.writeHead(200, { ...metaHeaders(img), "Content-Type": "text/plain" });
				return res.end();
			}
			if (req.method === "GET") {
				const failure = hooks.downloadFailures.shift();
				if (failure) return error(res, failure, "injected failure");
				if (img.status !== "active") return error(res, 404, `Image ${id} is not active`);
				const data = img.data;
				let start = 0;
				let status = 200;
				const range = req.headers.range;
				const headers = { ...metaHeaders(img), "Content-Type": "application/octet-stream" };
				if (range && !hooks.ignoreRange) {
					const m = /^bytes=(\d+)-$/.exec(range);
					start = Number(m[1]);
					if (start >= data.length) {
						res.writeHead(416, { "Content-Range": `bytes */${data.length}` });
						return res.end();
					}
					status = 206;
					headers["Content-Range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
				}
				headers["Content-Length"] = data.length - start;
				res.writeHead(status, headers);
				const body = data.subarray(start);
				if (hooks.dropDownloadAfter !== null) {
					const cut = hooks.dropDownloadAfter;
					hooks.dropDownloadAfter = null;
					res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
					return;
				}
				return res.end(body);
			}
		}

		if (parts[3] === "members" && parts.length === 5) {
			const body = await readBody(req);
			img.members ??= new Map();
			if (req.method === "PUT") {
				const can = body.length ? JSON.parse(body.toString("utf8")).member?.can_share : false;
				img.members.set(parts[4], { can_share: Boolean(can) });
				res.writeHead(204);
				return res.end();
			}
			if (req.method === "DELETE") {
				if (!img.members.delete(parts[4])) return error(res, 404, "no such member");
				res.writeHead(204);
				return res.end();
			}
		}
		if (parts[3] !== "upload-session") return error(res, 404, "no such route");
		if (parts.length === 4) {
			if (req.method === "POST") {
				const body = JSON.parse((await readBody(req)).toString("utf8"));
				if (img.status !== "queued")
					return error(res, 409, `Image ${id} is ${img.status}, not queued`);
				if (img.session) return error(res, 409, `Image ${id} already has an open upload session`);
				if (!Number.isSafeInteger(body.size) || body.size <= 0) return error(res, 400, "size");
				const now = new Date();
				img.session = {
					size: body.size,
					part_size: partSize,
					part_count: Math.ceil(body.size / partSize),
					parts: new Map(),
					state: "open",
					checksum: body.checksum ?? null,
					os_hash_value: body.os_hash_value ?? null,
					created_at: now.toISOString(),
					expires_at: new Date(now.getTime() + 86400_000).toISOString(),
				};
				return sendJson(res, 201, { session: sessionJson(img) });
			}
			if (!img.session) return error(res, 404, `Image ${id} has no open upload session`);
			if (req.method === "GET") return sendJson(res, 200, { session: sessionJson(img) });
			if (img.session.state !== "open")
				return error(res, 404, `Image ${id} has no open upload session`);
			if (req.method === "DELETE") {
				img.session = null;
				res.writeHead(204);
				return res.end();
			}
		}
		if (parts.length === 6 && parts[4] === "parts" && req.method === "PUT") {
			const n = Number(parts[5]);
			entry.part = n;
			const body = await readBody(req);
			const s = img.session;
			if (s?.state !== "open") return error(res, 404, `Image ${id} has no open upload session`);
			if (hooks.hangParts.has(n)) {
				entry.status = "hung";
				hanging.add(res);
				return;
			}
			const queued = hooks.partFailures.get(n);
			if (queued?.length) {
				const status = queued.shift();
				res.setHeader("Retry-After", "0");
				return error(res, status, "injected failure");
			}
			if (hooks.partAlwaysFail.has(n))
				return error(res, hooks.partAlwaysFail.get(n), "injected failure");
			if (!(n >= 1 && n <= s.part_count)) return error(res, 400, `no part ${n}`);
			const expected = Math.min(n * s.part_size, s.size) - (n - 1) * s.part_size;
			if (req.headers["content-length"] === undefined)
				return error(res, 411, "Content-Length required");
			if (body.length !== expected)
				return error(res, 400, `part ${n} must be ${expected} bytes, got ${body.length}`);
			s.parts.set(n, body);
			return sendJson(res, 200, { part: { part_number: n, size: body.length, etag: md5(body) } });
		}
		if (parts.length === 5 && parts[4] === "complete" && req.method === "POST") {
			const raw = await readBody(req);
			const given = raw.length > 0 ? JSON.parse(raw.toString("utf8")) : {};
			const s = img.session;
			if (s?.state !== "open") return error(res, 404, `Image ${id} has no open upload session`);
			// As the real server: digests declared when completing, unless the session had its own.
			for (const field of ["checksum", "os_hash_value"]) {
				if (given[field] && s[field] && given[field] !== s[field]) {
					return error(res, 400, `${field} differs from the session's`);
				}
			}
			for (let n = 1; n <= s.part_count; n++) {
				if (!s.parts.has(n)) return error(res, 400, `part ${n} is missing`);
			}
			img.pending = Buffer.concat(
				[...s.parts.keys()].sort((a, b) => a - b).map((n) => s.parts.get(n)),
			);
			img.declared = {
				checksum: s.checksum ?? given.checksum,
				os_hash_value: s.os_hash_value ?? given.os_hash_value,
			};
			img.declaredAtCompletion = { checksum: given.checksum, os_hash_value: given.os_hash_value };
			s.state = "verifying"; // kept until the verifier is done, as the real server does
			img.status = "saving";
			setTimeout(() => verify(img), verifyDelayMs);
			return sendJson(res, 202, { image: imageJson(img) });
		}
		await readBody(req);
		return error(res, 405, "method not allowed");
	}

	/** An image as Image API v2 shows it: properties as top-level keys. */
	function v2Json(img) {
		const { properties, is_public: isPublic, ...rest } = imageJson(img);
		return { ...properties, ...rest, visibility: isPublic ? "public" : "shared" };
	}

	/** Glance v2's import after a stage: like verify, but a failure queues the image again. */
	function verifyImport(img) {
		const data = img.pending;
		const declared = img.declared;
		img.pending = null;
		img.session = null;
		let reason = null;
		if (declared.checksum && declared.checksum !== md5(data)) reason = "checksum mismatch";
		else if (declared.os_hash_value && declared.os_hash_value !== sha512(data))
			reason = "os_hash_value mismatch";
		else if (hooks.killReason) reason = hooks.killReason;
		if (reason) {
			Object.assign(img, { status: "queued", size: null, task: { status: "failure", reason } });
			return;
		}
		Object.assign(img, {
			data,
			size: data.length,
			checksum: md5(data),
			os_hash_value: sha512(data),
			status: "active",
			task: { status: "success", reason: "" },
		});
	}

	/** The v2 routes the CLI's --import uses: create, show, stage (one request or a session), import, tasks. */
	async function handleV2(req, res, parts) {
		const body = await readBody(req);
		if (parts.length === 2 && req.method === "POST") {
			const {
				id = randomUUID(),
				name,
				disk_format,
				container_format,
				...properties
			} = JSON.parse(body.toString("utf8"));
			if (images.has(id)) return error(res, 409, `Image with identifier ${id} already exists!`);
			const record = {
				...{ id, name, disk_format, container_format, properties, is_public: false },
				...{ min_disk: 0, min_ram: 0, status: "queued", size: null, checksum: null },
				...{ os_hash_value: null, status_reason: null, session: null, data: null },
			};
			images.set(id, record);
			return sendJson(res, 201, v2Json(record));
		}
		const img = images.get(parts[2]);
		if (!img) return error(res, 404, `No image found with ID ${parts[2]}`);
		const tail = parts.slice(3).join("/");
		if (tail === "" && req.method === "GET") return sendJson(res, 200, v2Json(img));
		if (tail === "tasks" && req.method === "GET") {
			const tasks = img.task ? [{ status: img.task.status, message: img.task.reason }] : [];
			return sendJson(res, 200, { tasks });
		}
		if (tail === "stage" && req.method === "PUT") {
			if (img.status !== "queued") return error(res, 409, `Image status is ${img.status}`);
			Object.assign(img, { status: "uploading", pending: body, declared: {}, size: body.length });
			res.writeHead(204);
			return res.end();
		}
		if (tail === "import" && req.method === "POST") {
			if (img.status !== "uploading" || !img.pending) {
				return error(
					res,
					409,
					"Image needs to be staged before 'glance-direct' method can be used",
				);
			}
			img.status = "importing";
			setTimeout(() => verifyImport(img), verifyDelayMs);
			res.writeHead(202);
			return res.end();
		}
		if (tail === "upload-session" && req.method === "POST") {
			const { size, checksum = null, os_hash_value = null } = JSON.parse(body.toString("utf8"));
			if (img.status !== "queued") return error(res, 409, `Image status is ${img.status}`);
			img.status = "uploading";
			img.session = {
				...{ size, part_size: partSize, part_count: Math.ceil(size / partSize) },
				...{ parts: new Map(), state: "open", checksum, os_hash_value },
				...{ created_at: new Date().toISOString(), expires_at: new Date().toISOString() },
			};
			return sendJson(res, 201, { session: sessionJson(img) });
		}
		const s = img.session;
		if (!s) return error(res, 404, `No upload session is open for image ${img.id}.`);
		if (tail === "upload-session" && req.method === "GET") {
			return sendJson(res, 200, { session: sessionJson(img) });
		}
		if (parts[4] === "parts" && req.method === "PUT") {
			const n = Number(parts[5]);
			const expected = Math.min(n * s.part_size, s.size) - (n - 1) * s.part_size;
			if (body.length !== expected) return error(res, 400, `part ${n} must be ${expected} bytes`);
			s.parts.set(n, body);
			return sendJson(res, 200, { part: { part_number: n, size: body.length, etag: md5(body) } });
		}
		if (tail === "upload-session/complete" && req.method === "POST") {
			for (let n = 1; n <= s.part_count; n++) {
				if (!s.parts.has(n)) return error(res, 400, `part ${n} is missing`);
			}
			img.pending = Buffer.concat(
				[...s.parts.keys()].sort((a, b) => a - b).map((n) => s.parts.get(n)),
			);
			img.declared = { checksum: s.checksum, os_hash_value: s.os_hash_value };
			s.state = "verifying";
			img.size = s.size;
			return sendJson(res, 200, v2Json(img));
		}
		return error(res, 405, "method not allowed");
	}

	const server = http.createServer((req, res) => {
		const entry = {
			startedAt: performance.now(),
			method: req.method,
			path: new URL(req.url, "http://x").pathname,
			range: req.headers.range,
			contentLength: req.headers["content-length"],
			transferEncoding: req.headers["transfer-encoding"],
		};
		log.push(entry);
		res.on("finish", () => {
			entry.status ??= res.statusCode;
		});
		res.on("close", () => {
			entry.status ??= "aborted";
		});
		handle(req, res, entry).catch((err) => {
			entry.status = 500;
			if (!res.headersSent) error(res, 500, String(err));
			else res.destroy();
		});
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	const url = `http://127.0.0.1:${server.address().port}`;

	return {
		url,
		images,
		log,
		hooks,
		keystoneRequests,
		/** OS_AUTH_URL for the stand-in Keystone. */
		authUrl: `${url}/identity/v3`,
		/** Adds an active image holding `data`. */
		seedActive(data, fields = {}) {
			const id = randomUUID();
			images.set(id, {
				id,
				name: "seeded",
				disk_format: "raw",
				container_format: "bare",
				properties: {},
				is_public: false,
				min_disk: 0,
				min_ram: 0,
				status: "active",
				size: data.length,
				checksum: md5(data),
				os_hash_value: sha512(data),
				status_reason: null,
				session: null,
				data,
				...fields,
			});
			return id;
		},
		/** Runs the verifications held back by hooks.holdVerification. */
		release() {
			hooks.holdVerification = false;
			for (const img of held.splice(0)) verify(img);
		},
		/** PUT requests for parts that got a 200, as part numbers in request order. */
		storedPartPuts(fromIndex = 0) {
			return log
				.slice(fromIndex)
				.filter((e) => e.part !== undefined && e.status === 200)
				.map((e) => e.part);
		},
		async close() {
			for (const res of hanging) res.destroy();
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		},
	};
}
