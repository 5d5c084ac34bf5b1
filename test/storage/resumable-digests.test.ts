import { createHash } from "node:crypto";
import { ResumableDigests } from "../../src/storage/resumable-digests";
import { randomBytes } from "../helpers/bytes";

const MiB = 1024 * 1024;

const nodeDigests = (data: Uint8Array) => ({
	checksum: createHash("md5").update(data).digest("hex"),
	os_hash_value: createHash("sha512").update(data).digest("hex"),
});

describe("resumable digests", () => {
	it("give md5sum's and sha512sum's answers, whatever the chunks and saves in between", () => {
		const data = randomBytes(3 * MiB + 77, 41);
		let digests = ResumableDigests.start();
		for (const cut of [0, 1, 127, 128, 65_537, 2 * MiB + 3, data.byteLength]) {
			digests.update(data.subarray(digests.bytes, cut));
			digests = ResumableDigests.restore(digests.save(), digests.bytes);
		}
		const { md5, sha512 } = digests.finish();
		expect({ checksum: md5, os_hash_value: sha512 }).toEqual(nodeDigests(data));
	});

	it("pad every length right, across block edges, with a save and restore between any two pieces", () => {
		// MD5 pads within 64-byte blocks (the length field from byte 56), SHA-512 within 128-byte
		// blocks (from byte 112): every length up to 300 crosses each edge in both.
		const data = randomBytes(300, 7);
		for (let length = 0; length <= 300; length++) {
			const whole = data.subarray(0, length);
			let digests = ResumableDigests.start();
			for (let at = 0, piece = 1; at < length; piece = (piece * 7 + 3) % 61) {
				const next = Math.min(length, at + piece + 1);
				digests.update(whole.subarray(at, next));
				digests = ResumableDigests.restore(digests.save(), next);
				at = next;
			}
			const { md5, sha512 } = digests.finish();
			expect({ length, checksum: md5, os_hash_value: sha512 }).toEqual({
				length,
				...nodeDigests(whole),
			});
		}
	});

	it("refuse a state they did not write", () => {
		const saved = ResumableDigests.start().save();
		expect(() => ResumableDigests.restore(saved.slice(0, -4), 0)).toThrow(/cannot be continued/);
		const other = `AAAA${saved.slice(4)}`;
		expect(() => ResumableDigests.restore(other, 0)).toThrow(/another build/);
	});
});
