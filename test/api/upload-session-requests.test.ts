/**
 * Session parts as separate requests to the worker's own fetch (each its own request, in one
 * isolate), the way clients send them, rather than through an app built in the test: a part
 * still being received when its predecessor's request has ended is stored and continues the
 * digests. (The dropped connections that made parts pass their state through D1 only were seen
 * under `wrangler dev` with 2 GiB sessions; this pool did not reproduce them.)
 */

import { createHash } from "node:crypto";
import { randomBytes } from "../helpers/bytes";
import { api, postJson } from "../helpers/http";
import { storedRow } from "../helpers/images";

const MiB = 1024 * 1024;
const PART = 5 * MiB; // SESSION_PART_BYTES of the test bindings
const CHUNK = 256 * 1024;

/** A request body of `length` bytes the test feeds by hand: `send(bytes)`, then `end()`. */
function feed(length: number) {
	let controller!: ReadableStreamDefaultController<Uint8Array>;
	const source = new ReadableStream<Uint8Array>({
		start(c) {
			controller = c;
		},
	});
	// Of known length, as a client's body with a Content-Length is.
	const sized = new FixedLengthStream(length);
	source.pipeTo(sized.writable).catch(() => {});
	return {
		body: sized.readable,
		send(bytes: Uint8Array) {
			for (let at = 0; at < bytes.byteLength; at += CHUNK) {
				controller.enqueue(bytes.slice(at, at + CHUNK));
			}
		},
		end: () => controller.close(),
	};
}

const putPart = (id: string, n: number, body: ReadableStream<Uint8Array> | Uint8Array) =>
	api(`/v1/images/${id}/upload-session/parts/${n}`, {
		method: "PUT",
		headers: { "content-type": "application/octet-stream", "content-length": String(PART) },
		body,
	});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("session parts as separate requests", () => {
	it("a part still arriving when its predecessor's request ends is stored and hashed", async () => {
		const data = randomBytes(3 * PART, 61);
		const created = await postJson("/v1/images", {
			name: "parts-as-requests",
			disk_format: "raw",
			container_format: "bare",
		});
		expect(created.status).toBe(202);
		const id = ((await created.json()) as { image: { id: string } }).image.id;
		const opened = await postJson(`/v1/images/${id}/upload-session`, { size: data.byteLength });
		expect(opened.status).toBe(201);

		// Part 1 is on its way when part 2 arrives: part 2 waits for part 1's digests.
		const first = feed(PART);
		const firstAnswer = putPart(id, 1, first.body);
		first.send(data.subarray(0, PART / 2));
		await sleep(50);
		const second = feed(PART);
		const secondAnswer = putPart(id, 2, second.body);
		second.send(data.subarray(PART, PART + PART / 2));
		await sleep(50);
		// Part 1 ends, and its request with it, while part 2 is still being received.
		first.send(data.subarray(PART / 2, PART));
		first.end();
		const firstDone = await firstAnswer;
		expect(firstDone.status).toBe(200);
		await firstDone.arrayBuffer(); // the answer read whole: part 1's request is over
		await sleep(100);
		second.send(data.subarray(PART + PART / 2, 2 * PART));
		second.end();
		const answer = await secondAnswer;
		expect(answer.status, await answer.clone().text()).toBe(200);

		expect((await putPart(id, 3, data.subarray(2 * PART))).status).toBe(200);
		const done = await api(`/v1/images/${id}/upload-session/complete`, { method: "POST" });
		expect(done.status).toBe(202);
		const row = await storedRow(id);
		expect(row?.status).toBe("active");
		expect(row?.checksum).toBe(createHash("md5").update(data).digest("hex"));
		expect(row?.os_hash_value).toBe(createHash("sha512").update(data).digest("hex"));
	});
});
