/**
 * OVA: a tar archive (POSIX ustar, with GNU and pax extensions) holding an OVF descriptor
 * (.ovf), optionally a manifest (.mf) and certificate (.cert), then the disk files (DMTF
 * DSP0243). The first disk file is found by walking the tar headers inside the head window and
 * is inspected as an image of its own; it must be the archive's last member, so a second disk
 * can never pass uninspected.
 */
import type { InspectOptions } from "./format";
import { type Inspection, inspectorRegions, inspectView } from "./inspect";
import {
	type ByteRegion,
	type ByteView,
	Fields,
	HEAD_WINDOW,
	MAX_REGION_BYTES,
	quote,
	subView,
	TAIL_WINDOW,
} from "./windows";

const BLOCK = 512;
/** Tar members walked at most before the disk (descriptor, manifest, certificate, pax headers). */
const MAX_MEMBERS = 16;
const METADATA_SUFFIXES = [".ovf", ".mf", ".cert"];

interface DiskMember {
	name: string;
	/** Offset of the member's data in the archive. */
	offset: number;
	size: number;
}

export type OvaLayout = { disk: DiskMember; problem: null } | { disk: null; problem: OvaProblem };

export interface OvaProblem {
	/** True when the archive is unsafe (not merely something other than an OVA). */
	unsafe: boolean;
	message: string;
}

/** Finds the first disk file of an OVA from the archive's head. */
export function locateDisk(head: Uint8Array): OvaLayout {
	const notOva = (message: string): OvaLayout => ({
		disk: null,
		problem: { unsafe: false, message },
	});
	const unsafe = (message: string): OvaLayout => ({
		disk: null,
		problem: { unsafe: true, message },
	});
	let at = 0;
	let longName: string | null = null;
	for (let i = 0; i < MAX_MEMBERS; i++) {
		if (at + BLOCK > head.byteLength) break;
		const h = new Fields(head.subarray(at, at + BLOCK));
		if (i === 0 && !isTarHeader(h)) {
			return notOva("The data of an image with container_format 'ova' is not a tar archive.");
		}
		if (h.bytes.every((b) => b === 0)) break;
		if (!isTarHeader(h)) return unsafe("The OVA archive has a corrupt tar header.");
		const size = tarSize(h);
		if (size === null) return unsafe("The OVA archive has a tar member of impossible size.");
		const type = String.fromCharCode(h.u8(156));
		const data = at + BLOCK;
		const next = data + Math.ceil(size / BLOCK) * BLOCK;
		if (type === "x" || type === "g") {
			// pax records can rename the next member or make it a link.
			const records = cString(
				head.subarray(data, Math.min(data + Math.min(size, 4096), head.byteLength)),
			);
			const path = /(?:^|\n)\d+ path=([^\n]*)/.exec(records);
			if (/(?:^|\n)\d+ linkpath=/.test(records)) {
				return unsafe("The OVA archive contains a link, which is not accepted.");
			}
			if (path && (path[1].includes("/") || path[1].includes("\\"))) {
				return unsafe(`The OVA archive contains a file name with a path (${quote(path[1])}).`);
			}
			at = next;
			continue;
		}
		if (type === "L") {
			const bytes = head.subarray(data, Math.min(data + Math.min(size, 4096), head.byteLength));
			longName = cString(bytes);
			at = next;
			continue;
		}
		const name = longName ?? memberName(h);
		longName = null;
		if (type === "1" || type === "2") {
			return unsafe(`The OVA archive contains a link (${quote(name)}), which is not accepted.`);
		}
		if (type !== "0" && type !== "\0") {
			return unsafe(`The OVA archive contains a member that is not a plain file (${quote(name)}).`);
		}
		if (name.includes("/") || name.includes("\\") || name === ".." || name === "") {
			return unsafe(`The OVA archive contains a file name with a path (${quote(name)}).`);
		}
		if (!METADATA_SUFFIXES.some((s) => name.toLowerCase().endsWith(s))) {
			return { disk: { name, offset: data, size }, problem: null };
		}
		at = next;
	}
	return notOva("No disk file was found at the start of the OVA archive (after its descriptor).");
}

/** Regions of an OVA's disk the inspectors need beyond the archive's head window. */
export function ovaRegions(head: Uint8Array): ByteRegion[] {
	const { disk } = locateDisk(head);
	if (!disk) return [];
	const regions: ByteRegion[] = [
		{ offset: disk.offset, length: Math.min(disk.size, HEAD_WINDOW) },
		{
			offset: disk.offset + Math.max(0, disk.size - TAIL_WINDOW),
			length: Math.min(disk.size, TAIL_WINDOW),
		},
		// The member after the disk: the archive must end there.
		{ offset: disk.offset + Math.ceil(disk.size / BLOCK) * BLOCK, length: BLOCK },
	];
	for (const r of inspectorRegions(head.subarray(disk.offset))) {
		regions.push({ offset: disk.offset + r.offset, length: Math.min(r.length, MAX_REGION_BYTES) });
	}
	return regions;
}

export type OvaInspection =
	| { disk: DiskMember; inspection: Inspection; problem: null }
	| { disk: null; inspection: null; problem: OvaProblem };

/** Inspects the disk inside an OVA. */
export function inspectOva(view: ByteView, options: InspectOptions): OvaInspection {
	const head = view.read(0, Math.min(view.size, HEAD_WINDOW));
	const layout = head
		? locateDisk(head)
		: { disk: null, problem: { unsafe: false, message: "The OVA archive is empty." } };
	if (!layout.disk) return { disk: null, inspection: null, problem: layout.problem };
	const { disk } = layout;
	if (disk.offset + disk.size > view.size) {
		return {
			disk: null,
			inspection: null,
			problem: { unsafe: true, message: "The OVA archive is truncated." },
		};
	}
	const after = view.read(disk.offset + Math.ceil(disk.size / BLOCK) * BLOCK, BLOCK);
	if (after && !after.every((b) => b === 0)) {
		return {
			disk: null,
			inspection: null,
			problem: {
				unsafe: true,
				message: `The OVA archive holds more than one disk file after ${quote(disk.name)}; only single-disk OVAs can be inspected and accepted.`,
			},
		};
	}
	const inspection = inspectView(subView(view, disk.offset, disk.size), options);
	return { disk, inspection, problem: null };
}

function isTarHeader(h: Fields): boolean {
	if (!h.has(257, "ustar")) return false;
	const stored = octal(h.bytes.subarray(148, 156));
	if (stored === null) return false;
	let sum = 0;
	for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h.u8(i);
	return sum === stored;
}

/** Member size: octal text, or GNU base-256 for members of 8 GiB and more. */
function tarSize(h: Fields): number | null {
	const field = h.bytes.subarray(124, 136);
	if (field[0] & 0x80) {
		let n = field[0] & 0x7f;
		for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
		return Number.isSafeInteger(n) ? n : null;
	}
	return octal(field);
}

function octal(field: Uint8Array): number | null {
	let n = 0;
	let digits = 0;
	for (const b of field) {
		if (b === 0 || b === 0x20) {
			if (digits > 0) break;
			continue;
		}
		if (b < 0x30 || b > 0x37) return null;
		n = n * 8 + (b - 0x30);
		digits += 1;
	}
	return digits > 0 && Number.isSafeInteger(n) ? n : null;
}

function memberName(h: Fields): string {
	const name = cString(h.bytes.subarray(0, 100));
	const prefix = cString(h.bytes.subarray(345, 500));
	return prefix ? `${prefix}/${name}` : name;
}

/** Bytes up to the first NUL, one character per byte (names are checked, then quoted). */
function cString(bytes: Uint8Array): string {
	let out = "";
	for (const b of bytes) {
		if (b === 0) break;
		out += String.fromCharCode(b);
	}
	return out;
}
