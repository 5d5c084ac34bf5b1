// The benchmark's session parts (bench/lib/sessions.mjs): sent in the CLI's order, and a part
// whose connection drops or that is answered 503 is sent again, as the CLI would, and counted.

import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { sendParts } from "../../bench/lib/sessions.mjs";

const PART = 64 * 1024;

test("sends a dropped part and a part answered 503 again, and counts both", async (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-parts-"));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const file = path.join(dir, "body.bin");
	const bytes = Buffer.alloc(4 * PART + 100, 7);
	fs.writeFileSync(file, bytes);

	const attempts = new Map();
	const server = http.createServer((req, res) => {
		const n = Number(req.url.split("/").pop());
		const attempt = (attempts.get(n) ?? 0) + 1;
		attempts.set(n, attempt);
		let got = 0;
		req.on("data", (chunk) => {
			got += chunk.length;
			// Part 2's first attempt loses its connection mid-body.
			if (n === 2 && attempt === 1 && got >= PART / 2) req.socket.destroy();
		});
		req.on("end", () => {
			if (n === 3 && attempt === 1) {
				res.writeHead(503).end("restarted mid-request");
				return;
			}
			res.writeHead(200, { "content-type": "application/json" });
			res.end(JSON.stringify({ part_number: n, size: got }));
		});
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	t.after(() => server.close());
	const { port } = server.address();

	const { answers, retries } = await sendParts({
		file,
		size: bytes.length,
		partSize: PART,
		partUrl: (n) => `http://127.0.0.1:${port}/parts/${n}`,
		headers: {},
	});
	assert.equal(retries, 2);
	assert.deepEqual(
		answers.slice(1).map((a) => a.size),
		[PART, PART, PART, PART, 100],
	);
	assert.deepEqual(
		[...attempts].sort(([a], [b]) => a - b),
		[
			[1, 1],
			[2, 2],
			[3, 2],
			[4, 1],
			[5, 1],
		],
	);
});
