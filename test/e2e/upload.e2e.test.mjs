// Uploads over real HTTP against `wrangler dev`: chunked bodies with and without a declared size,
// byte-exact downloads, and a client that hangs up mid-upload (only a real socket can do that).

import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import net from "node:net";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const META = {
	"X-Auth-Token": TOKEN,
	"x-image-meta-name": "e2e-upload",
	"x-image-meta-disk_format": "raw",
	"x-image-meta-container_format": "bare",
	"Content-Type": "application/octet-stream",
};

function chunked(data, size = 256 * 1024) {
	let offset = 0;
	return new ReadableStream({
		pull(controller) {
			if (offset >= data.length) return controller.close();
			controller.enqueue(data.subarray(offset, offset + size));
			offset += size;
		},
	});
}

const md5 = (data) => createHash("md5").update(data).digest("hex");
const sha512 = (data) => createHash("sha512").update(data).digest("hex");

async function head(id) {
	const res = await fetch(`${BASE}/v1/images/${id}`, {
		method: "HEAD",
		headers: { "X-Auth-Token": TOKEN },
	});
	return res.headers.get("x-image-meta-status");
}

/** Sends the start of a chunked upload on a raw socket, then drops the connection. */
async function uploadThenHangUp(id, extraHeaders) {
	const url = new URL(BASE);
	const socket = net.connect(Number(url.port), url.hostname);
	await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
	const headers = {
		...META,
		Host: url.host,
		"Transfer-Encoding": "chunked",
		"x-image-meta-id": id,
		...extraHeaders,
	};
	socket.write(
		`POST /v1/images HTTP/1.1\r\n${Object.entries(headers)
			.map(([k, v]) => `${k}: ${v}\r\n`)
			.join("")}\r\n`,
	);
	const chunk = randomBytes(64 * 1024);
	for (let i = 0; i < 4; i++)
		socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString("binary")}\r\n`, "binary");
	await sleep(300);
	socket.destroy();
}

async function waitForStatus(id, wanted) {
	let status = null;
	for (let i = 0; i < 50; i++) {
		status = await head(id);
		if (status === wanted) return status;
		await sleep(200);
	}
	return status;
}

describe("uploads over HTTP", () => {
	test("a chunked body with x-image-meta-size round-trips byte for byte", async () => {
		const data = randomBytes(3 * 1024 * 1024 + 17);
		const res = await fetch(`${BASE}/v1/images`, {
			method: "POST",
			headers: { ...META, "x-image-meta-size": String(data.length) },
			body: chunked(data),
			duplex: "half",
		});
		const body = await res.json();
		assert.equal(res.status, 201, JSON.stringify(body));
		assert.equal(body.image.checksum, md5(data));
		assert.equal(body.image.os_hash_value, sha512(data));
		const download = await fetch(`${BASE}/v1/images/${body.image.id}`, {
			headers: { "X-Auth-Token": TOKEN },
		});
		assert.equal(download.headers.get("content-type"), "application/octet-stream");
		const got = Buffer.from(await download.arrayBuffer());
		assert.equal(md5(got), md5(data));
	});

	test("a chunked body of unknown length (a pipe) becomes a multipart object", async () => {
		const data = randomBytes(9 * 1024 * 1024 + 5);
		const res = await fetch(`${BASE}/v1/images`, {
			method: "POST",
			// A declared checksum is what lets a length-less upload in by default (it catches a
			// truncated body); the length stays unknown, so the multipart path is taken.
			headers: { ...META, "x-image-meta-checksum": md5(data) },
			body: chunked(data),
			duplex: "half",
		});
		const body = await res.json();
		assert.equal(res.status, 201, JSON.stringify(body));
		assert.equal(body.image.size, data.length);
		assert.equal(body.image.checksum, md5(data));
		const download = await fetch(`${BASE}/v1/images/${body.image.id}`, {
			headers: { "X-Auth-Token": TOKEN },
		});
		assert.equal(sha512(Buffer.from(await download.arrayBuffer())), sha512(data));
	});

	test("a client hanging up mid-upload with a declared size leaves the image killed", async () => {
		const id = randomUUID();
		await uploadThenHangUp(id, { "x-image-meta-size": String(10 * 1024 * 1024) });
		assert.equal(await waitForStatus(id, "killed"), "killed");
		const download = await fetch(`${BASE}/v1/images/${id}`, { headers: { "X-Auth-Token": TOKEN } });
		assert.equal(download.status, 404);
	});
});
