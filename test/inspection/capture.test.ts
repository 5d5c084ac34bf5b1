import fc from "fast-check";
import { HEAD_WINDOW, TAIL_WINDOW, WindowCapture } from "../../src/inspection";
import { expectSameBytes, randomBytes } from "../helpers/bytes";
import { fixture, windowsOf } from "./fixtures";

/** Feeds `bytes` to a capture in chunks of the given sizes (cycled). */
function captureInChunks(bytes: Uint8Array, sizes: number[], known: boolean) {
	const capture = new WindowCapture(known ? bytes.byteLength : null);
	let at = 0;
	for (let i = 0; at < bytes.byteLength; i++) {
		const n = Math.max(1, sizes[i % sizes.length]);
		capture.take(bytes.subarray(at, at + n));
		at += n;
	}
	return capture.finish();
}

describe("WindowCapture", () => {
	it("captures exactly the windows cut from the whole image, however the stream is chunked", async () => {
		const images = [
			await fixture("vhdx.vhdx"),
			await fixture("vmdk-stream-optimized-footer.vmdk"),
			randomBytes(3 * 1024 * 1024 + 17, 21),
			randomBytes(700, 22),
			new Uint8Array(0),
		];
		fc.assert(
			fc.property(
				fc.constantFrom(...images),
				fc.array(
					fc.oneof(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 2 * 1024 * 1024 })),
					{ minLength: 1, maxLength: 8 },
				),
				fc.boolean(),
				(bytes, sizes, known) => {
					const got = captureInChunks(bytes, sizes, known);
					const want = windowsOf(bytes);
					expect(got.size).toBe(want.size);
					expectSameBytes(got.head, want.head);
					expectSameBytes(got.tail, want.tail);
					expect(got.regions.map((r) => r.offset)).toEqual(want.regions.map((r) => r.offset));
					for (const [i, r] of got.regions.entries()) {
						expectSameBytes(r.bytes, want.regions[i].bytes);
					}
				},
			),
			{ numRuns: 30 },
		);
	});

	it("holds at most the head, the tail and the bounded regions", () => {
		const capture = new WindowCapture(null);
		const chunk = randomBytes(1024 * 1024, 23);
		for (let i = 0; i < 20; i++) capture.take(chunk);
		const windows = capture.finish();
		expect(windows.size).toBe(20 * 1024 * 1024);
		expect(windows.head.byteLength).toBe(HEAD_WINDOW);
		expect(windows.tail.byteLength).toBe(TAIL_WINDOW);
		expect(windows.regions).toEqual([]);
	});

	it("keeps the head buffer no larger than a small image of known length", () => {
		const capture = new WindowCapture(100);
		capture.take(randomBytes(100, 24));
		expect(capture.finish().head.buffer.byteLength).toBe(100);
	});
});
