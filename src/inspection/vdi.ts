/**
 * VDI (VirtualBox), from the VirtualBox VDI header layout (version 1.1): a 64-byte text banner,
 * then the little-endian magic 0xbeda107f at offset 64, the image type at 76 and the disk size at
 * 368.
 */
import { type Inspector, safeSize } from "./format";
import { fieldsAt } from "./windows";

const MAGIC = [0x7f, 0x10, 0xda, 0xbe];
const VERSION_1_1 = 0x00010001;
const NORMAL = 1;
const FIXED = 2;

export const vdiInspector: Inspector = {
	format: "vdi",
	inspect(view) {
		if (!fieldsAt(view, 64, 4)?.has(0, MAGIC)) return null;
		const h = fieldsAt(view, 0, 512);
		if (!h) return { format: "vdi", virtualSize: null, unsafe: "The VDI header is truncated." };
		const version = h.u32le(68);
		if (version !== VERSION_1_1) {
			const shown = `${version >>> 16}.${version & 0xffff}`;
			return {
				format: "vdi",
				virtualSize: null,
				unsafe: `The VDI header has an unsupported version (${shown}); only version 1.1 is accepted.`,
			};
		}
		const virtualSize = safeSize(h.u64le(368));
		const type = h.u32le(76);
		if (type !== NORMAL && type !== FIXED) {
			return {
				format: "vdi",
				virtualSize,
				unsafe:
					"The image is a VDI snapshot (undo or differencing) image: it depends on a parent disk.",
			};
		}
		if (virtualSize === null) {
			return {
				format: "vdi",
				virtualSize,
				unsafe: "The VDI header claims an impossible disk size.",
			};
		}
		return {
			format: "vdi",
			virtualSize,
			unsafe: null,
			variant: type === FIXED ? "fixed" : "dynamic",
		};
	},
};
