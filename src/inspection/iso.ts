/**
 * ISO 9660 / UDF, from ECMA-119 and ECMA-167: after a 32 KiB system area come 2 KiB volume
 * descriptors whose bytes 1-5 are "CD001" (ISO 9660) or a UDF volume recognition sequence
 * ("BEA01", "NSR02"/"NSR03", "TEA01"). The primary volume descriptor (type 1) holds the volume
 * space size (blocks, both-endian u32 at 80) and the logical block size (both-endian u16 at 128).
 */
import { type Inspector, safeSize } from "./format";
import { fieldsAt } from "./windows";

const SYSTEM_AREA = 32 * 1024;
const DESCRIPTOR = 2048;
/** Volume descriptors examined at most (the set is normally 3-6 long). */
const MAX_DESCRIPTORS = 32;
const PRIMARY = 1;
const TERMINATOR = 255;
const UDF_IDS = ["BEA01", "NSR02", "NSR03", "TEA01", "BOOT2", "CDW02"];

export const isoInspector: Inspector = {
	format: "iso",
	inspect(view) {
		let found = false;
		let virtualSize: number | null = null;
		for (let i = 0; i < MAX_DESCRIPTORS; i++) {
			const d = fieldsAt(view, SYSTEM_AREA + i * DESCRIPTOR, DESCRIPTOR);
			if (!d) break;
			if (d.has(1, "CD001")) {
				found = true;
				const type = d.u8(0);
				if (type === PRIMARY && virtualSize === null) {
					const blocks = d.u32le(80);
					const blockSize = d.u16le(128);
					// Both-endian fields must agree with their big-endian copies.
					if (blocks === d.u32be(84) && blockSize === d.u16be(130) && blockSize > 0) {
						virtualSize = safeSize(blocks * blockSize);
					}
				}
				if (type === TERMINATOR) continue;
			} else if (UDF_IDS.some((id) => d.has(1, id))) {
				found = true;
			} else {
				break;
			}
		}
		return found ? { format: "iso", virtualSize, unsafe: null } : null;
	},
};
