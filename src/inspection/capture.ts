import { regionsToCapture } from "./content";
import { HEAD_WINDOW, type ImageWindows, TAIL_WINDOW } from "./windows";

interface RegionBuffer {
	offset: number;
	bytes: Uint8Array;
}

/**
 * Captures an image's windows from its bytes as they stream past, copying only the bytes the
 * inspectors need: the head (up to 1 MiB, once), a few regions the head points to, and the last
 * 1536 bytes (one small copy per chunk). Memory is bounded whatever the image claims.
 */
export class WindowCapture {
	private readonly head: Uint8Array;
	private headFilled = 0;
	private readonly tail = new Uint8Array(TAIL_WINDOW);
	private tailFilled = 0;
	private seen = 0;
	private regions: RegionBuffer[] = [];

	/** `expectedLength`, when known, keeps the head buffer no larger than the image. */
	constructor(expectedLength: number | null = null) {
		const headSize = expectedLength === null ? HEAD_WINDOW : Math.min(expectedLength, HEAD_WINDOW);
		this.head = new Uint8Array(Math.max(0, headSize));
	}

	/** Takes the next chunk of the stream. The chunk is only read, never kept. */
	take(chunk: Uint8Array): void {
		const start = this.seen;
		const n = chunk.byteLength;
		this.seen += n;
		if (this.headFilled < this.head.byteLength) {
			const k = Math.min(n, this.head.byteLength - this.headFilled);
			this.head.set(k === n ? chunk : chunk.subarray(0, k), this.headFilled);
			this.headFilled += k;
			if (this.headFilled === this.head.byteLength) this.planRegions();
		}
		for (const region of this.regions) copyOverlap(region, chunk, start);
		this.keepTail(chunk);
	}

	/** The captured windows of the whole stream (call after its last chunk). */
	finish(): ImageWindows {
		return {
			size: this.seen,
			head: this.head.subarray(0, this.headFilled),
			tail: this.tail.subarray(0, this.tailFilled),
			regions: this.regions.map((r) => ({
				offset: r.offset,
				bytes: r.bytes.subarray(0, Math.max(0, Math.min(r.bytes.byteLength, this.seen - r.offset))),
			})),
		};
	}

	private planRegions(): void {
		const head = this.head.subarray(0, this.headFilled);
		this.regions = regionsToCapture(head).map((r) => {
			const region = { offset: r.offset, bytes: new Uint8Array(r.length) };
			copyOverlap(region, head, 0);
			return region;
		});
	}

	private keepTail(chunk: Uint8Array): void {
		const n = chunk.byteLength;
		if (n >= TAIL_WINDOW) {
			this.tail.set(chunk.subarray(n - TAIL_WINDOW));
			this.tailFilled = TAIL_WINDOW;
		} else if (this.tailFilled + n <= TAIL_WINDOW) {
			this.tail.set(chunk, this.tailFilled);
			this.tailFilled += n;
		} else {
			const keep = TAIL_WINDOW - n;
			this.tail.copyWithin(0, this.tailFilled - keep, this.tailFilled);
			this.tail.set(chunk, keep);
			this.tailFilled = TAIL_WINDOW;
		}
	}
}

/** Copies the part of `chunk` (which starts at absolute offset `start`) that falls in `region`. */
function copyOverlap(region: RegionBuffer, chunk: Uint8Array, start: number): void {
	const from = Math.max(region.offset, start);
	const to = Math.min(region.offset + region.bytes.byteLength, start + chunk.byteLength);
	if (to <= from) return;
	region.bytes.set(chunk.subarray(from - start, to - start), from - region.offset);
}
