/**
 * The bounded windows of an image the inspectors may look at: its head, its tail and a few
 * small regions the head points to. Nothing else of the image is ever held.
 */

/** Bytes captured from the start of an image (covers every header the inspectors read). */
export const HEAD_WINDOW = 1024 * 1024;
/** Bytes captured from the end (a streamOptimized VMDK's footer markers; a fixed VHD's footer). */
export const TAIL_WINDOW = 1536;
/** Most bytes any one extra region may hold. */
export const MAX_REGION_BYTES = 1024 * 1024;
/** Most extra regions one image may ask for. */
export const MAX_REGIONS = 6;

export interface ByteRegion {
	offset: number;
	length: number;
}

/**
 * Keeps the regions a capture may hold: valid, at most MAX_REGIONS of at most MAX_REGION_BYTES
 * each, leaving out those wholly inside the head.
 */
export function boundRegions(regions: readonly ByteRegion[], headLength: number): ByteRegion[] {
	const out: ByteRegion[] = [];
	for (const r of regions) {
		if (out.length >= MAX_REGIONS) break;
		if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length)) continue;
		if (r.offset < 0 || r.length <= 0) continue;
		const length = Math.min(r.length, MAX_REGION_BYTES);
		if (r.offset + length > headLength) out.push({ offset: r.offset, length });
	}
	return out;
}

/** What was captured of one image. */
export interface ImageWindows {
	/** Size of the whole image in bytes. */
	size: number;
	/** The first min(size, HEAD_WINDOW) bytes. */
	head: Uint8Array;
	/** The last min(size, TAIL_WINDOW) bytes. */
	tail: Uint8Array;
	/** Regions asked for by `regionsToCapture`, each as captured (possibly shorter at the end). */
	regions: readonly { offset: number; bytes: Uint8Array }[];
}

/**
 * Read access to an image's captured windows by absolute offset. `read` returns a view of
 * exactly `length` bytes when they were all captured, else null: an inspector cannot read, nor
 * allocate for, anything outside the windows whatever a header claims.
 */
export interface ByteView {
	readonly size: number;
	read(offset: number, length: number): Uint8Array | null;
}

export function viewOf(windows: ImageWindows): ByteView {
	const spans = [
		{ offset: 0, bytes: windows.head },
		{ offset: windows.size - windows.tail.byteLength, bytes: windows.tail },
		...windows.regions,
	];
	return {
		size: windows.size,
		read(offset, length) {
			if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return null;
			if (offset < 0 || length < 0 || offset + length > windows.size) return null;
			for (const span of spans) {
				const start = offset - span.offset;
				if (start >= 0 && start + length <= span.bytes.byteLength) {
					return span.bytes.subarray(start, start + length);
				}
			}
			return null;
		},
	};
}

/** A view of `length` bytes of `outer` starting at `base`, as an image of its own. */
export function subView(outer: ByteView, base: number, length: number): ByteView {
	return {
		size: length,
		read(offset, n) {
			if (offset < 0 || n < 0 || offset + n > length) return null;
			return outer.read(base + offset, n);
		},
	};
}

/** Reads integers from a captured slice; callers keep offsets inside the slice. */
export class Fields {
	private readonly view: DataView;

	constructor(readonly bytes: Uint8Array) {
		this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	}

	get length(): number {
		return this.bytes.byteLength;
	}

	u8(at: number): number {
		return this.bytes[at] ?? 0;
	}
	u16le(at: number): number {
		return this.view.getUint16(at, true);
	}
	u16be(at: number): number {
		return this.view.getUint16(at, false);
	}
	u32le(at: number): number {
		return this.view.getUint32(at, true);
	}
	u32be(at: number): number {
		return this.view.getUint32(at, false);
	}
	/** A 64-bit field as a number; values past 2^53 come back inexact (callers check). */
	u64le(at: number): number {
		return this.view.getUint32(at + 4, true) * 2 ** 32 + this.view.getUint32(at, true);
	}
	u64be(at: number): number {
		return this.view.getUint32(at, false) * 2 ** 32 + this.view.getUint32(at + 4, false);
	}
	/** True when all eight bytes at `at` are 0xff. */
	allOnes64(at: number): boolean {
		return (
			this.view.getUint32(at, false) === 0xffffffff && this.view.getUint32(at + 4) === 0xffffffff
		);
	}
	/** True when the bytes at `at` spell `magic` (an ASCII string or bytes). */
	has(at: number, magic: string | readonly number[]): boolean {
		const n = magic.length;
		if (at < 0 || at + n > this.bytes.byteLength) return false;
		for (let i = 0; i < n; i++) {
			const want = typeof magic === "string" ? magic.charCodeAt(i) : magic[i];
			if (this.bytes[at + i] !== want) return false;
		}
		return true;
	}
	/** Printable ASCII from `at` (at most `max` bytes, up to the first NUL), for messages. */
	text(at: number, max: number): string {
		return printable(this.bytes.subarray(at, Math.min(this.bytes.byteLength, at + max)));
	}
}

/** Header fields read at a fixed offset of the view, or null when the view lacks them. */
export function fieldsAt(view: ByteView, offset: number, length: number): Fields | null {
	const bytes = view.read(offset, length);
	return bytes ? new Fields(bytes) : null;
}

/**
 * Bytes from an image rendered safe to show a user: printable ASCII only, cut at the first NUL
 * and at 80 characters.
 */
export function printable(bytes: Uint8Array): string {
	let out = "";
	for (const b of bytes) {
		if (b === 0) break;
		out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "?";
		if (out.length >= 80) return `${out}…`;
	}
	return out;
}

/** Shortens text quoted in a message the same way `printable` does. */
export function quote(text: string): string {
	const clean = text.replace(/[^\x20-\x7e]/g, "?");
	return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}
