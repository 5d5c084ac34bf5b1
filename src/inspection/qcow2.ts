/**
 * qcow2 (QEMU copy-on-write v2/v3), from the qcow2 specification (docs/interop/qcow2.txt):
 * big-endian header at offset 0, magic "QFI\xfb", v2 header 72 bytes, v3 header_length bytes,
 * then header extensions up to the end of the first cluster.
 */
import { type FormatMatch, type Inspector, safeSize } from "./format";
import { type ByteView, Fields, fieldsAt, quote } from "./windows";

const MAGIC = [0x51, 0x46, 0x49, 0xfb];
const V2_HEADER = 72;
const V3_MIN_HEADER = 104;
/** Incompatible feature bits: 0 dirty, 1 corrupt, 2 external data file, 3 compression type. */
const DATA_FILE_BIT = 2;
const KNOWN_INCOMPATIBLE_BITS = 4;
const EXTENDED_L2_BIT = 4;
const EXT_END = 0;
const EXT_DATA_FILE_NAME = 0x44415441;
/** Header extensions examined at most (each is at least 8 bytes of a cluster ≤ 2 MiB). */
const MAX_EXTENSIONS = 64;

export const qcow2Inspector: Inspector = {
	format: "qcow2",
	inspect(view) {
		const magic = fieldsAt(view, 0, 4);
		if (!magic?.has(0, MAGIC)) return null;
		const h = fieldsAt(view, 0, V2_HEADER);
		if (!h) return refuse(null, "The qcow2 header is truncated.");
		const version = h.u32be(4);
		if (version === 1) {
			return refuse(null, "The image is an old qcow version 1 image, which is not accepted.");
		}
		if (version !== 2 && version !== 3) {
			return refuse(null, `The qcow2 header has an unknown version (${version}).`);
		}
		const virtualSize = safeSize(h.u64be(24));
		if (virtualSize === null)
			return refuse(null, "The qcow2 header claims an impossible disk size.");
		const clusterBits = h.u32be(20);
		if (clusterBits < 9 || clusterBits > 21) {
			return refuse(
				virtualSize,
				`The qcow2 header has an invalid cluster size (2^${clusterBits}).`,
			);
		}
		if (h.u64be(8) !== 0) {
			const name = backingFileName(view, h);
			return refuse(
				virtualSize,
				`The qcow2 image refers to a backing file${name ? ` (${name})` : ""}: a hypervisor would read that file from its own host. Upload a standalone image (qemu-img convert -O qcow2 flattens it).`,
			);
		}
		let extensionsAt = V2_HEADER;
		if (version === 3) {
			const v3 = fieldsAt(view, 0, V3_MIN_HEADER);
			if (!v3) return refuse(virtualSize, "The qcow2 version 3 header is truncated.");
			const problem = incompatibleFeatureProblem(v3);
			if (problem) return refuse(virtualSize, problem);
			extensionsAt = v3.u32be(100);
			if (extensionsAt < V3_MIN_HEADER || extensionsAt % 8 !== 0) {
				return refuse(virtualSize, "The qcow2 header has an invalid header length.");
			}
		}
		const extension = unsafeExtension(view, extensionsAt, 2 ** clusterBits);
		if (extension) return refuse(virtualSize, extension);
		return { format: "qcow2", virtualSize, unsafe: null, variant: `v${version}` };
	},
};

function refuse(virtualSize: number | null, unsafe: string): FormatMatch {
	return { format: "qcow2", virtualSize, unsafe };
}

function incompatibleFeatureProblem(v3: Fields): string | null {
	const high = v3.u32be(72);
	const low = v3.u32be(76);
	if (low & (1 << DATA_FILE_BIT)) {
		return "The qcow2 image keeps its data in an external data file (incompatible feature 'external data file'): a hypervisor would read that file from its own host. Upload a self-contained image (qemu-img convert -O qcow2).";
	}
	const unknown: number[] = [];
	for (let bit = 0; bit < 64; bit++) {
		const set = bit < 32 ? low & (2 ** bit) : high & (2 ** (bit - 32));
		if (set && bit >= KNOWN_INCOMPATIBLE_BITS) unknown.push(bit);
	}
	if (unknown.length === 0) return null;
	if (unknown.length === 1 && unknown[0] === EXTENDED_L2_BIT) {
		return "The qcow2 image uses extended L2 entries (incompatible feature bit 4), which this registry does not accept. Convert it without extended_l2.";
	}
	return `The qcow2 image uses incompatible features this registry does not know (feature bit${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}).`;
}

function backingFileName(view: ByteView, h: Fields): string | null {
	const offset = h.u64be(8);
	const length = Math.min(h.u32be(16), 1023);
	const name = view.read(offset, length);
	return name ? quote(new Fields(name).text(0, length)) : null;
}

/** Walks the header extensions inside the first cluster; names an unsafe one if found. */
function unsafeExtension(view: ByteView, start: number, clusterSize: number): string | null {
	let at = start;
	for (let i = 0; i < MAX_EXTENSIONS && at + 8 <= clusterSize; i++) {
		const ext = fieldsAt(view, at, 8);
		if (!ext) return null;
		const type = ext.u32be(0);
		const length = ext.u32be(4);
		if (type === EXT_END) return null;
		if (type === EXT_DATA_FILE_NAME) {
			const name = view.read(at + 8, Math.min(length, 1023));
			const shown = name ? quote(new Fields(name).text(0, 1023)) : "";
			return `The qcow2 image names an external data file${shown ? ` (${shown})` : ""}: a hypervisor would read that file from its own host.`;
		}
		at += 8 + Math.ceil(length / 8) * 8;
	}
	return null;
}
