/**
 * VHD (Virtual PC / qemu "vpc"), from Microsoft's Virtual Hard Disk Image Format specification:
 * a 512-byte big-endian footer with cookie "conectix" ends every VHD; dynamic and differencing
 * disks also start with a copy of it. A fixed VHD is the raw disk followed by the footer only.
 */
import { type FormatMatch, type Inspector, safeSize } from "./format";
import { type Fields, fieldsAt } from "./windows";

const FOOTER = 512;
const COOKIE = "conectix";
const FIXED = 2;
const DYNAMIC = 3;
const DIFFERENCING = 4;

export const vhdInspector: Inspector = {
	format: "vhd",
	inspect(view) {
		const head = fieldsAt(view, 0, Math.min(FOOTER, view.size));
		if (head?.has(0, COOKIE)) {
			if (head.length < FOOTER) return refuse("The VHD footer is truncated.");
			return fromFooter(head, false);
		}
		if (view.size < FOOTER) return null;
		const tail = fieldsAt(view, view.size - FOOTER, FOOTER);
		// Only a footer with a valid checksum counts: raw data may end with anything.
		if (!tail?.has(0, COOKIE) || !checksumOk(tail) || tail.u32be(60) !== FIXED) return null;
		return fromFooter(tail, true);
	},
};

function refuse(unsafe: string): FormatMatch {
	return { format: "vhd", virtualSize: null, unsafe };
}

function fromFooter(footer: Fields, fromTail: boolean): FormatMatch {
	const virtualSize = safeSize(footer.u64be(48));
	const type = footer.u32be(60);
	if (type === DIFFERENCING) {
		return {
			...refuse(
				"The image is a differencing VHD: it depends on a parent disk file a hypervisor would open on its own host.",
			),
			virtualSize,
		};
	}
	if (type !== FIXED && type !== DYNAMIC) {
		return { ...refuse(`The VHD footer has an unknown disk type (${type}).`), virtualSize };
	}
	if (virtualSize === null) return refuse("The VHD footer claims an impossible disk size.");
	return {
		format: "vhd",
		virtualSize,
		unsafe: null,
		variant: type === FIXED ? "fixed" : "dynamic",
		...(fromTail ? { fromTail } : {}),
	};
}

/** The footer checksum: one's complement of the byte sum, skipping the checksum field. */
function checksumOk(footer: Fields): boolean {
	let sum = 0;
	for (let i = 0; i < FOOTER; i++) {
		if (i < 64 || i >= 68) sum += footer.u8(i);
	}
	return ~sum >>> 0 === footer.u32be(64);
}
