// The baseline worker for `npm run bench`: for each glance-edge figure, the least a worker on
// the same bindings can do. No framework, no validation, no auth: one binding call per request.
//
//   GET  /json            return a small JSON document            (vs GET /versions)
//   POST /images          one D1 INSERT of a JSON body's row      (vs register)
//   HEAD /images/:id      one D1 SELECT by key                    (vs HEAD /v1/images/:id)
//   GET  /images/:id      the same SELECT, the row as JSON        (vs GET /v2/images/:id)
//   GET  /list?limit=N    one SELECT of N rows, as JSON           (vs GET /v1/images/detail)
//   PUT  /objects/:key    stream the body into R2                 (vs upload)
//   GET  /objects/:key    stream an R2 object out                 (vs download)
//   DELETE /objects/:key  remove an object (housekeeping between runs)
//   PUT  /floor/drain     read the body as glance-edge does and drop it   (the floors' zero)
//   PUT  /floor/sha512    the same, through SHA-512                       (known-length floor)
//   PUT  /floor/md5+sha512  the same, through MD5 and SHA-512             (unknown-length floor)
//   PUT  /floor/store+sha512  the SHA-512 floor, stored in R2 as it is read  (the least a hashing put costs)
//   PUT  /least/chunked   a chunked body hashed with MD5 and SHA-512 and stored as a multipart
//                         upload in 8 MiB parts  (the least an unknown-length put costs)
//   HEAD /least/images/:id  the SELECT with the image's properties, answered as a v1 HEAD must
//                           be: its x-image-meta-* headers and one log line (vs HEAD)
//   POST /least/images      the INSERT, answered as glance-edge answers a v1 register: the
//                           image as JSON, its Location and one log line (vs register)
//   POST /multipart/:key  start an R2 multipart upload              (vs opening an upload session)
//   PUT  /multipart/:key/:n?uploadId=  stream a part into it       (vs a session's part)
//   POST /multipart/:key/complete?uploadId=  assemble the parts    (vs completing the session)

const INSERT = `INSERT INTO images (id, name, status, size, disk_format, container_format, owner,
	object_key, revision, created_at, updated_at) VALUES (?1, ?2, 'queued', 0, ?3, ?4, ?5, ?6, ?7, ?8, ?8)`;
const SELECT_ONE = "SELECT * FROM images WHERE id = ?1";
const SELECT_PAGE =
	"SELECT * FROM images WHERE deleted = 0 ORDER BY created_at DESC, id DESC LIMIT ?1";

/** Glance's timestamp format, as glance-edge stores it. */
const now = () => `${new Date().toISOString().slice(0, 23)}000`;

/** The one INSERT of a registration's row; its id and timestamp. */
async function insertRow(env, body) {
	const id = crypto.randomUUID();
	const stamp = now();
	await env.DB.prepare(INSERT)
		.bind(
			id,
			body.name ?? null,
			body.disk_format ?? null,
			body.container_format ?? null,
			"bench",
			`images/${id}`,
			crypto.randomUUID(),
			stamp,
		)
		.run();
	return { id, stamp };
}

async function insert(env, request) {
	const { id } = await insertRow(env, await request.json());
	return Response.json({ id }, { status: 202 });
}

async function selectOne(env, id, asJson) {
	const row = await env.DB.prepare(SELECT_ONE).bind(id).first();
	if (!row) return new Response(null, { status: 404 });
	if (asJson) return Response.json(row);
	return new Response(null, { status: 200, headers: { "x-image-status": row.status } });
}

/**
 * The least a v1 HEAD and a v1 register cost, beside the bare SELECT and INSERT: what Glance v1's
 * contract adds to the one statement (the x-image-meta-* headers, the image as JSON) and the one
 * structured log line per request glance-edge keeps, and nothing else (no framework, no auth, no
 * validation). The gap between glance-edge and these is its own; the rest is the contract's and
 * the runtime's (the console, the dev proxy carrying each header).
 */
const SELECT_WITH_PROPERTIES = `SELECT images.*, (SELECT json_group_object(name, value)
	FROM image_properties WHERE image_id = images.id) AS properties FROM images WHERE id = ?1`;
/** glance-edge's x-image-meta-* fields (src/domain/image-fields.ts, v1Header), in its order. */
const V1_FIELDS = [
	"id",
	"name",
	"status",
	"status_reason",
	"size",
	"virtual_size",
	"checksum",
	"os_hash_algo",
	"os_hash_value",
	"disk_format",
	"container_format",
	"min_disk",
	"min_ram",
	"is_public",
	"owner",
	"protected",
	"created_at",
	"updated_at",
	"deleted_at",
	"deleted",
];
const V1_BOOLEANS = new Set(["is_public", "protected", "deleted"]);

function logLine(request, route, status, started, imageId, bytesOut) {
	console.info(
		JSON.stringify({
			level: "info",
			msg: "request",
			request_id: crypto.randomUUID(),
			method: request.method,
			route,
			status,
			duration_ms: Date.now() - started,
			tenant: "bench",
			image_id: imageId,
			bytes_in: Number(request.headers.get("content-length") ?? 0),
			bytes_out: bytesOut,
		}),
	);
}

function v1Value(field, value) {
	if (V1_BOOLEANS.has(field)) return value ? "True" : "False";
	return String(value);
}

async function leastHead(env, request, id) {
	const started = Date.now();
	const row = await env.DB.prepare(SELECT_WITH_PROPERTIES).bind(id).first();
	if (!row) return new Response(null, { status: 404 });
	const headers = new Headers({ "content-type": "application/octet-stream" });
	for (const field of V1_FIELDS) {
		const value = row[field];
		if (value !== null && value !== undefined)
			headers.set(`x-image-meta-${field}`, v1Value(field, value));
	}
	for (const [key, value] of Object.entries(JSON.parse(row.properties ?? "{}"))) {
		headers.set(`x-image-meta-property-${key}`, value);
	}
	if (row.checksum) headers.set("etag", row.checksum);
	headers.set("content-length", String(row.size ?? 0));
	headers.set("x-openstack-request-id", `req-${crypto.randomUUID()}`);
	logLine(request, "/least/images/:id", 200, started, id, 0);
	return new Response(null, { status: 200, headers });
}

async function leastRegister(env, request, url) {
	const started = Date.now();
	const body = await request.json();
	const { id, stamp } = await insertRow(env, body);
	const image = {
		id,
		name: body.name ?? null,
		status: "queued",
		status_reason: null,
		size: 0,
		virtual_size: null,
		checksum: null,
		os_hash_algo: null,
		os_hash_value: null,
		disk_format: body.disk_format ?? null,
		container_format: body.container_format ?? null,
		min_disk: 0,
		min_ram: 0,
		is_public: false,
		owner: "bench",
		protected: false,
		created_at: stamp,
		updated_at: stamp,
		deleted_at: null,
		deleted: false,
		properties: {},
	};
	// As glance-edge answers a registration: 202, the reserved object's location beside the image.
	const text = JSON.stringify({ location: `r2://bench/images/${id}`, image });
	logLine(request, "/least/images", 202, started, id, text.length);
	return new Response(text, {
		status: 202,
		headers: {
			"content-type": "application/json",
			location: `${url.origin}/v1/images/${id}`,
			"x-openstack-request-id": `req-${crypto.randomUUID()}`,
		},
	});
}

async function selectPage(env, url) {
	const limit = Number(url.searchParams.get("limit") ?? "1000");
	const { results } = await env.DB.prepare(SELECT_PAGE).bind(limit).all();
	return Response.json({ images: results });
}

async function putObject(env, key, request) {
	if (!request.body) return new Response("no body", { status: 400 });
	const object = await env.IMAGES.put(key, request.body);
	return Response.json({ size: object.size }, { status: 201 });
}

async function getObject(env, key) {
	const object = await env.IMAGES.get(key);
	if (!object) return new Response(null, { status: 404 });
	return new Response(object.body, {
		headers: {
			"content-type": "application/octet-stream",
			"content-length": String(object.size),
		},
	});
}

/** Bytes asked of the body per read: glance-edge's reads (src/storage/stream-to-store.ts). */
const READ_BYTES = 1024 * 1024;
const MIN_READ_BYTES = 64 * 1024;
const FLOOR_DIGESTS = {
	drain: [],
	sha512: ["SHA-512"],
	"md5+sha512": ["MD5", "SHA-512"],
	"store+sha512": ["SHA-512"],
};
const FLOOR_KEY = "floor-store";

/** Closes the DigestStreams' writers and answers their digests in hex, in order. */
async function hexDigests(digests, writers) {
	const hex = [];
	for (let i = 0; i < writers.length; i++) {
		await writers[i].close();
		hex.push(
			[...new Uint8Array(await digests[i].digest)]
				.map((b) => b.toString(16).padStart(2, "0"))
				.join(""),
		);
	}
	return hex;
}

/**
 * The hashing floor: the body read in glance-edge's 1 MiB BYOB reads and written to native
 * DigestStreams, as glance-edge hashes it, and nothing else (no store). Less the drain's cost,
 * that is what the digests alone cost in this runtime. `store+sha512` also writes each read to
 * R2 through a FixedLengthStream, as any worker that hashes a body while storing it must (R2
 * takes a stream it can see into only with a known length): the least a hashing put costs.
 */
async function floor(env, kind, request) {
	const algorithms = FLOOR_DIGESTS[kind];
	if (!algorithms || !request.body) return new Response("unknown floor", { status: 404 });
	const digests = algorithms.map((a) => new crypto.DigestStream(a));
	const writers = digests.map((d) => d.getWriter());
	const reader = request.body.getReader({ mode: "byob" });
	const sized =
		kind === "store+sha512"
			? new FixedLengthStream(Number(request.headers.get("content-length")))
			: null;
	const store = sized?.writable.getWriter();
	const storing = sized ? env.IMAGES.put(FLOOR_KEY, sized.readable) : null;
	let size = 0;
	for (;;) {
		const { done, value } = await reader.readAtLeast(MIN_READ_BYTES, new Uint8Array(READ_BYTES));
		if (value?.byteLength) {
			size += value.byteLength;
			for (const w of writers) w.write(value).catch(() => {});
			if (store) await store.write(value);
		}
		if (done) break;
	}
	if (store) {
		await store.close();
		await storing;
		await env.IMAGES.delete(FLOOR_KEY);
	}
	return Response.json({ size, digests: await hexDigests(digests, writers) }, { status: 201 });
}

/** glance-edge's default UPLOAD_PART_BYTES: the part size of its unknown-length uploads. */
const PART_BYTES = 8 * 1024 * 1024;

/**
 * The least an unknown-length put costs: the body read straight into 8 MiB parts (two buffers
 * taking turns), hashed with MD5 and SHA-512 as it is read, one part stored while the next
 * fills, completed as a multipart object. Any worker must do that much with a body of unknown
 * length: R2 takes no stream of unknown length and gives a multipart object no MD5.
 */
async function leastChunkedPut(env, request) {
	if (!request.body) return new Response("no body", { status: 400 });
	const key = `least-chunked-${crypto.randomUUID()}`;
	const digests = ["MD5", "SHA-512"].map((a) => new crypto.DigestStream(a));
	const writers = digests.map((d) => d.getWriter());
	const reader = request.body.getReader({ mode: "byob" });
	const upload = await env.IMAGES.createMultipartUpload(key);
	const parts = [];
	let storing = null;
	let spare = null;
	const flush = async (bytes) => {
		// The part before has been stored once its upload settles: its buffer fills the next one.
		if (storing) spare = await storing;
		const partNumber = parts.length + 1;
		storing = upload.uploadPart(partNumber, bytes).then((part) => {
			parts.push(part);
			return bytes.buffer;
		});
	};
	let part = new Uint8Array(PART_BYTES);
	let filled = 0;
	let size = 0;
	for (;;) {
		const { done, value } = await reader.readAtLeast(
			Math.min(MIN_READ_BYTES, PART_BYTES - filled),
			part.subarray(filled),
		);
		if (value) part = new Uint8Array(value.buffer, 0, PART_BYTES);
		if (value?.byteLength) {
			for (const w of writers) w.write(value).catch(() => {});
			size += value.byteLength;
			filled += value.byteLength;
			if (filled === PART_BYTES) {
				await flush(part);
				part =
					spare?.byteLength === PART_BYTES ? new Uint8Array(spare) : new Uint8Array(PART_BYTES);
				spare = null;
				filled = 0;
			}
		}
		if (done) break;
	}
	if (filled > 0) await flush(part.subarray(0, filled));
	if (storing) await storing;
	await upload.complete(parts);
	await env.IMAGES.delete(key);
	return Response.json({ size, digests: await hexDigests(digests, writers) }, { status: 201 });
}

async function multipart(env, request, url, key, step) {
	if (!step && request.method === "POST") {
		const upload = await env.IMAGES.createMultipartUpload(key);
		return Response.json({ uploadId: upload.uploadId }, { status: 201 });
	}
	const upload = env.IMAGES.resumeMultipartUpload(key, url.searchParams.get("uploadId") ?? "");
	if (step === "complete" && request.method === "POST") {
		const object = await upload.complete(await request.json());
		return Response.json({ size: object.size }, { status: 201 });
	}
	if (step && request.method === "PUT" && request.body) {
		const part = await upload.uploadPart(Number(step), request.body);
		return Response.json(part);
	}
	return new Response("not found", { status: 404 });
}

export default {
	async fetch(request, env) {
		const url = new URL(request.url);
		const [, resource, key] = url.pathname.split("/");
		const method = request.method;
		if (resource === "json" && method === "GET") return Response.json({ ok: true });
		if (resource === "images" && !key && method === "POST") return insert(env, request);
		if (resource === "images" && key && (method === "HEAD" || method === "GET")) {
			return selectOne(env, key, method === "GET");
		}
		if (resource === "list" && method === "GET") return selectPage(env, url);
		if (resource === "least" && key === "chunked" && method === "PUT") {
			return leastChunkedPut(env, request);
		}
		if (resource === "least" && key === "images") {
			const id = url.pathname.split("/")[3];
			if (id && method === "HEAD") return leastHead(env, request, id);
			if (!id && method === "POST") return leastRegister(env, request, url);
		}
		if (resource === "floor" && key && method === "PUT")
			return floor(env, decodeURIComponent(key), request);
		if (resource === "multipart" && key) {
			return multipart(env, request, url, key, url.pathname.split("/")[3]);
		}
		if (resource === "objects" && key) {
			if (method === "PUT") return putObject(env, key, request);
			if (method === "GET") return getObject(env, key);
			if (method === "DELETE") {
				await env.IMAGES.delete(key);
				return new Response(null, { status: 204 });
			}
		}
		return new Response("not found", { status: 404 });
	},
};
