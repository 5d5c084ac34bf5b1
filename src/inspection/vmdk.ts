/**
 * VMDK, from VMware's Virtual Disk Format 1.1 specification: a hosted sparse extent starts with
 * the little-endian header "KDMV" and embeds its text descriptor (normally at sector 1); a
 * streamOptimized extent may keep its grain directory in a footer, the last three sectors being
 * footer marker, footer (a copy of the header) and end-of-stream marker. A descriptor-only VMDK
 * is a text file whose extents are other files.
 */
import type { FormatMatch, InspectOptions, Inspector } from "./format";
import { safeSize } from "./format";
import { type ByteView, Fields, fieldsAt, HEAD_WINDOW, quote, TAIL_WINDOW } from "./windows";

const SECTOR = 512;
const SPARSE_MAGIC = "KDMV";
const VMWARE3_MAGIC = "COWD";
const MARKER_EOS = 0;
const MARKER_FOOTER = 3;
/** Header keys a monolithic descriptor may carry; anything else is refused. */
const HEADER_KEYS = new Set([
	"version",
	"encoding",
	"cid",
	"parentcid",
	"createtype",
	"isnativesnapshot",
]);
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?$/;
const KEY_VALUE = /^([A-Za-z][A-Za-z0-9_.]*)\s*=\s*(.*)$/;
/** Most descriptor text read (the descriptor must also end inside the head window). */
const MAX_DESCRIPTOR = HEAD_WINDOW - SECTOR;

export const vmdkInspector: Inspector = {
	format: "vmdk",
	inspect(view, options) {
		const magic = fieldsAt(view, 0, 4);
		if (magic?.has(0, SPARSE_MAGIC)) return inspectSparse(view, options);
		if (magic?.has(0, VMWARE3_MAGIC)) {
			return refuse(null, "The image is a VMware 3 (COWD) sparse VMDK, which is not accepted.");
		}
		const text = descriptorText(view);
		if (text === null) return null;
		const parsed = parseDescriptor(text);
		const type = parsed.createType ?? "unknown";
		return {
			format: "vmdk",
			virtualSize: null,
			variant: type,
			unsafe:
				parsed.problem ??
				`The image is a VMDK descriptor file (type '${quote(type)}'): its data lives in other files a hypervisor would open on its own host. Upload a single-file VMDK (${allowedList(options)}).`,
		};
	},
};

function refuse(virtualSize: number | null, unsafe: string, variant?: string): FormatMatch {
	return { format: "vmdk", virtualSize, unsafe, ...(variant ? { variant } : {}) };
}

function inspectSparse(view: ByteView, options: InspectOptions): FormatMatch {
	const h = fieldsAt(view, 0, SECTOR);
	if (!h) return refuse(null, "The VMDK header is truncated.");
	const version = h.u32le(4);
	const virtualSize = safeSize(h.u64le(12) * SECTOR);
	if (version < 1 || version > 3) {
		return refuse(virtualSize, `The VMDK header has an unknown version (${version}).`);
	}
	if (virtualSize === null) return refuse(null, "The VMDK header claims an impossible disk size.");
	const descriptorSector = h.u64le(28);
	const descriptorSectors = h.u64le(36);
	if (descriptorSector === 0) {
		return refuse(
			virtualSize,
			"The VMDK file has no embedded descriptor: it is one extent of a multi-file disk.",
		);
	}
	if (descriptorSector !== 1) {
		return refuse(virtualSize, "The VMDK descriptor does not start right after the header.");
	}
	if (descriptorSectors * SECTOR > MAX_DESCRIPTOR) {
		return refuse(virtualSize, "The VMDK descriptor is larger than 1 MiB.");
	}
	const raw = view.read(SECTOR, Math.min(descriptorSectors * SECTOR, view.size - SECTOR));
	if (!raw) return refuse(virtualSize, "The VMDK descriptor is truncated.");
	const end = raw.indexOf(0);
	const parsed = parseDescriptor(decode(end < 0 ? raw : raw.subarray(0, end)));
	const type = parsed.createType;
	if (parsed.problem) return refuse(virtualSize, parsed.problem, type ?? undefined);
	if (type === null) return refuse(virtualSize, "The VMDK descriptor has no createType.");
	if (!options.vmdkAllowedTypes.has(type)) {
		return refuse(
			virtualSize,
			options.vmdkAllowedTypes.size === 0
				? "VMDK images are not accepted by this registry."
				: `The VMDK image is of type '${quote(type)}'; only ${allowedList(options)} VMDK images are accepted.`,
			type,
		);
	}
	if (parsed.extents !== 1 || parsed.extentType !== "SPARSE") {
		return refuse(
			virtualSize,
			"The VMDK descriptor must describe exactly one SPARSE extent: the file itself.",
			type,
		);
	}
	if (h.allOnes64(56)) {
		const footer = footerProblem(view, h);
		if (footer) return refuse(virtualSize, footer, type);
	}
	return { format: "vmdk", virtualSize, unsafe: null, variant: type };
}

/** A streamOptimized footer (grain directory offset "at end") must mirror the header. */
function footerProblem(view: ByteView, header: Fields): string | null {
	if (view.size < SECTOR + TAIL_WINDOW)
		return "The VMDK footer is missing: the image is truncated.";
	const tail = fieldsAt(view, view.size - TAIL_WINDOW, TAIL_WINDOW);
	if (!tail) return "The VMDK footer could not be read.";
	const marker = { size: tail.u32le(8), type: tail.u32le(12) };
	if (marker.size !== 0 || marker.type !== MARKER_FOOTER) {
		return "The VMDK footer marker is missing or malformed: the image is truncated or corrupt.";
	}
	const footer = new Fields(tail.bytes.subarray(SECTOR, 2 * SECTOR));
	if (
		!footer.has(0, SPARSE_MAGIC) ||
		footer.u32le(4) !== header.u32le(4) ||
		footer.u64le(28) !== header.u64le(28) ||
		footer.u64le(36) !== header.u64le(36)
	) {
		return "The VMDK footer does not match its header (signature, version or descriptor location differ).";
	}
	if (footer.allOnes64(56)) return "The VMDK footer points to yet another footer.";
	const eos = new Fields(tail.bytes.subarray(2 * SECTOR));
	if (eos.u64le(0) !== 0 || eos.u32le(8) !== 0 || eos.u32le(12) !== MARKER_EOS) {
		return "The VMDK end-of-stream marker is missing or malformed: the image is truncated or corrupt.";
	}
	return null;
}

interface Descriptor {
	createType: string | null;
	extents: number;
	extentType: string | null;
	problem: string | null;
}

/**
 * Parses a descriptor allow-list style: blank lines, comments, `ddb.*` entries, known header
 * keys and extent lines are accepted; anything else, and any extent naming a path, is refused.
 */
export function parseDescriptor(text: string): Descriptor {
	const result: Descriptor = { createType: null, extents: 0, extentType: null, problem: null };
	const fail = (problem: string) => ({ ...result, problem });
	for (const rawLine of text.split("\n")) {
		const line = rawLine.replace(/\r$/, "").trim();
		if (line === "" || line.startsWith("#")) continue;
		const extent = EXTENT_LINE.exec(line);
		const extentLike = /^(RW|RDONLY|NOACCESS)\b/.test(line);
		if (extentLike && (line.includes("/") || line.includes("\\"))) {
			return fail(
				`The VMDK descriptor names a file by path (${quote(line)}): a hypervisor would read that file from its own host.`,
			);
		}
		if (extent) {
			result.extents += 1;
			result.extentType = extent[3];
			continue;
		}
		const pair = KEY_VALUE.exec(line);
		if (!pair)
			return fail(`The VMDK descriptor has a line this registry does not accept: ${quote(line)}`);
		const key = pair[1].toLowerCase();
		const value = pair[2].trim().replace(/^"(.*)"$/, "$1");
		if (key.startsWith("ddb.")) continue;
		if (key === "parentfilenamehint") {
			return fail(
				`The VMDK image refers to a parent disk (${quote(value)}): a hypervisor would read that file from its own host.`,
			);
		}
		if (!HEADER_KEYS.has(key)) {
			return fail(`The VMDK descriptor has a line this registry does not accept: ${quote(line)}`);
		}
		if (key === "parentcid" && value.toLowerCase() !== "ffffffff") {
			return fail("The VMDK image is a delta disk that depends on a parent disk.");
		}
		if (key === "createtype") result.createType = value;
	}
	if (result.extents === 0) return fail("The VMDK descriptor describes no extent.");
	return result;
}

/** A descriptor-only VMDK: text whose first meaningful line is `version=N` (what qemu probes). */
function descriptorText(view: ByteView): string | null {
	const head = view.read(0, Math.min(view.size, 4096));
	if (!head || head.byteLength === 0) return null;
	const end = head.indexOf(0);
	const prefix = end < 0 ? head : head.subarray(0, end);
	for (const b of prefix) {
		if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return null;
	}
	const lines = decode(prefix).split("\n");
	for (const rawLine of lines) {
		const line = rawLine.trim();
		if (/^#\s*Disk\s*Descriptor\s*File/i.test(line)) break;
		if (line === "" || line.startsWith("#")) continue;
		if (/^version\s*=\s*\d+$/.test(line)) break;
		return null;
	}
	if (
		!lines.some((l) => /^\s*version\s*=/.test(l) || /^#\s*Disk\s*Descriptor\s*File/i.test(l.trim()))
	) {
		return null;
	}
	const whole = view.read(0, Math.min(view.size, HEAD_WINDOW)) ?? prefix;
	const stop = whole.indexOf(0);
	return decode(stop < 0 ? whole : whole.subarray(0, stop));
}

function decode(bytes: Uint8Array): string {
	return new TextDecoder().decode(bytes);
}

function allowedList(options: InspectOptions): string {
	const names = [...options.vmdkAllowedTypes];
	return names.length === 0 ? "no" : names.map((n) => `'${n}'`).join(" and ");
}
