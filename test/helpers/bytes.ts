/** Deterministic pseudo-random bytes (xorshift), so failures are reproducible. */
export function randomBytes(length: number, seed = 1): Uint8Array {
	const out = new Uint8Array(length);
	let x = seed * 2654435761 || 1;
	for (let i = 0; i < length; i++) {
		x ^= x << 13;
		x ^= x >>> 17;
		x ^= x << 5;
		out[i] = x & 0xff;
	}
	return out;
}

export async function md5Hex(data: Uint8Array): Promise<string> {
	return hex(await crypto.subtle.digest("MD5", data));
}

export async function sha512Hex(data: Uint8Array): Promise<string> {
	return hex(await crypto.subtle.digest("SHA-512", data));
}

function hex(buffer: ArrayBuffer): string {
	return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A body without Content-Length (chunked on the wire), delivered `chunk` bytes at a time; with
 * `type: "bytes"`, a byte stream, as request bodies are (BYOB reads work).
 */
export function chunkedStream(
	data: Uint8Array,
	chunk = 64 * 1024,
	type?: "bytes",
): ReadableStream<Uint8Array> {
	let offset = 0;
	const pull = (controller: { close(): void; enqueue(piece: Uint8Array): void }) => {
		if (offset >= data.byteLength) {
			controller.close();
			return;
		}
		controller.enqueue(data.slice(offset, offset + chunk));
		offset += chunk;
	};
	return type === "bytes" ? new ReadableStream({ type, pull }) : new ReadableStream({ pull });
}

/** A body that sends `before` bytes, then fails as a dropped connection would. */
export function brokenStream(before: number): ReadableStream<Uint8Array> {
	let sent = false;
	return new ReadableStream({
		pull(controller) {
			if (!sent) {
				sent = true;
				controller.enqueue(randomBytes(before, 7));
				return;
			}
			controller.error(new Error("connection reset by peer"));
		},
	});
}

/** A body of `total` bytes produced lazily, never held whole in memory. */
export function generatedStream(total: number, chunk = 1024 * 1024): ReadableStream<Uint8Array> {
	const block = randomBytes(chunk, 3);
	let sent = 0;
	return new ReadableStream({
		pull(controller) {
			if (sent >= total) {
				controller.close();
				return;
			}
			const n = Math.min(chunk, total - sent);
			controller.enqueue(n === chunk ? block.slice() : block.slice(0, n));
			sent += n;
		},
	});
}

/** Compares byte arrays without handing megabytes to the assertion differ. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
	expect(actual.byteLength).toBe(expected.byteLength);
	const first = actual.findIndex((b, i) => b !== expected[i]);
	expect(first).toBe(-1);
}
