import fc from "fast-check";
import {
	type ByteView,
	type ContentPolicy,
	HEAD_WINDOW,
	type ImageWindows,
	INSPECTORS,
	judgeContent,
	regionsToCapture,
	TAIL_WINDOW,
	viewOf,
} from "../../src/inspection";
import { MAX_REGION_BYTES, MAX_REGIONS } from "../../src/inspection/windows";
import { FIXTURE_NAMES, fixture } from "./fixtures";

const POLICY: ContentPolicy = {
	requireFormatMatch: true,
	vmdkAllowedTypes: new Set(["monolithicSparse", "streamOptimized"]),
};
const HEADER_BYTES = 40 * 1024;

/** The first bytes of every fixture: real headers to mutate. */
const SEEDS: Uint8Array[] = [];
beforeAll(async () => {
	for (const name of FIXTURE_NAMES) {
		const bytes = await fixture(name);
		SEEDS.push(bytes.slice(0, Math.min(bytes.byteLength, HEADER_BYTES)));
	}
});

const MAGICS: [number, number[]][] = [
	[0, [0x51, 0x46, 0x49, 0xfb]],
	[0, [0x4b, 0x44, 0x4d, 0x56]],
	[0, [0x43, 0x4f, 0x57, 0x44]],
	[0, [...new TextEncoder().encode("conectix")]],
	[0, [...new TextEncoder().encode("vhdxfile")]],
	[64, [0x7f, 0x10, 0xda, 0xbe]],
	[0, [0x51, 0x45, 0x44, 0x00]],
	[0, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]],
	[32769, [...new TextEncoder().encode("CD001")]],
	[510, [0x55, 0xaa]],
	[0, [...new TextEncoder().encode('version=1\ncreateType=x\nRW 1 SPARSE "a"\n')]],
	[257, [...new TextEncoder().encode("ustar\0")]],
];

/** A header: random bytes, a mutated real header, or random bytes with a format's magic. */
const header = fc.oneof(
	fc.uint8Array({ minLength: 0, maxLength: 4096 }),
	fc
		.tuple(
			fc.nat(),
			fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 24 }),
			fc.option(fc.nat()),
		)
		.map(([which, edits, cut]) => {
			const seed = SEEDS[which % SEEDS.length].slice();
			for (const [at, value] of edits) seed[at % seed.byteLength] = value;
			return cut === null ? seed : seed.subarray(0, cut % (seed.byteLength + 1));
		}),
	fc.tuple(fc.nat(), fc.uint8Array({ minLength: 0, maxLength: 40_000 })).map(([which, body]) => {
		const [at, magic] = MAGICS[which % MAGICS.length];
		const out = new Uint8Array(Math.max(body.byteLength, at + magic.length));
		out.set(body);
		out.set(magic, at);
		return out;
	}),
);

/** Windows of an image whose claimed size may be far larger than what was captured. */
const windows = fc
	.tuple(header, fc.uint8Array({ minLength: 0, maxLength: TAIL_WINDOW }), fc.nat({ max: 3 }))
	.map(([head, tail, shape]): ImageWindows => {
		if (shape === 0)
			return {
				size: head.byteLength,
				head,
				tail: head.subarray(Math.max(0, head.byteLength - TAIL_WINDOW)),
				regions: [],
			};
		const size = [head.byteLength + tail.byteLength, 10 * 2 ** 30, 2 ** 52][shape - 1];
		return { size, head, tail, regions: [] };
	});

/** A view that records every read an inspector asks for. */
function recording(view: ByteView) {
	const reads: { offset: number; length: number }[] = [];
	return {
		reads,
		view: {
			size: view.size,
			read(offset: number, length: number) {
				reads.push({ offset, length });
				return view.read(offset, length);
			},
		} satisfies ByteView,
	};
}

describe("every inspector on random and mutated headers", () => {
	it("never throws, never asks for more than a window, and always answers the same", () => {
		fc.assert(
			fc.property(windows, (w) => {
				for (const inspector of INSPECTORS) {
					const first = recording(viewOf(w));
					const a = inspector.inspect(first.view, POLICY);
					const b = inspector.inspect(viewOf(w), POLICY);
					expect(b).toEqual(a);
					for (const read of first.reads) {
						expect(read.length).toBeLessThanOrEqual(Math.max(HEAD_WINDOW, MAX_REGION_BYTES));
					}
					if (a) {
						expect(a.format).toBe(inspector.format === "gpt" ? a.format : inspector.format);
						expect(a.unsafe === null || typeof a.unsafe === "string").toBe(true);
						if (a.virtualSize !== null) expect(Number.isSafeInteger(a.virtualSize)).toBe(true);
					}
				}
			}),
			{ numRuns: 400 },
		);
	});

	it("gives every image one deterministic verdict, whatever its declared formats", () => {
		const disk = fc.constantFrom(
			"raw",
			"qcow2",
			"vmdk",
			"vhd",
			"vhdx",
			"vdi",
			"iso",
			"luks",
			"ami",
			"ploop",
		);
		const container = fc.constantFrom("bare", "ova", "ovf", "docker");
		fc.assert(
			fc.property(
				windows,
				disk,
				container,
				fc.boolean(),
				(w, diskFormat, containerFormat, strict) => {
					const policy = { ...POLICY, requireFormatMatch: strict };
					const declared = { diskFormat, containerFormat };
					const verdict = judgeContent(w, declared, policy);
					expect(judgeContent(w, declared, policy)).toEqual(verdict);
					if (!verdict.accepted) expect(verdict.reason.length).toBeGreaterThan(0);
				},
			),
			{ numRuns: 400 },
		);
	});

	it("asks for a bounded number of bounded regions", () => {
		fc.assert(
			fc.property(header, (head) => {
				const regions = regionsToCapture(head);
				expect(regions.length).toBeLessThanOrEqual(MAX_REGIONS);
				for (const r of regions) {
					expect(r.length).toBeGreaterThan(0);
					expect(r.length).toBeLessThanOrEqual(MAX_REGION_BYTES);
					expect(Number.isSafeInteger(r.offset + r.length)).toBe(true);
				}
			}),
			{ numRuns: 400 },
		);
	});
});
