import type { ByteRegion, ByteView } from "./windows";

/** What an inspector can recognise. "gpt" and "mbr" are partition tables of a raw disk. */
export type DetectedFormat =
	| "raw"
	| "qcow2"
	| "vmdk"
	| "vhd"
	| "vhdx"
	| "vdi"
	| "iso"
	| "gpt"
	| "mbr"
	| "qed"
	| "luks";

/** One inspector's finding. */
export interface FormatMatch {
	format: DetectedFormat;
	/** Size of the disk the image describes, from its header; null when the header has none. */
	virtualSize: number | null;
	/** Why the image is unsafe to hand to a hypervisor, in words for the uploader; null if safe. */
	unsafe: string | null;
	/** A variant worth naming in messages (a VMDK create type, "fixed" VHD, ...). */
	variant?: string;
	/** Found from the image's tail rather than its head (a fixed VHD's footer). */
	fromTail?: boolean;
}

export interface InspectOptions {
	/** VMDK create types accepted (Glance's vmdk_allowed_types). */
	vmdkAllowedTypes: ReadonlySet<string>;
}

/** A format inspector: a pure function of the captured windows. */
export interface Inspector {
	readonly format: DetectedFormat;
	/** The match, or null when the bytes are not this format. Never throws. */
	inspect(view: ByteView, options: InspectOptions): FormatMatch | null;
	/** Regions past the head this format needs, located from the head alone (bounded). */
	regions?(head: Uint8Array): ByteRegion[];
}

/** Human names of the formats, for messages. */
export const FORMAT_NAMES: Record<DetectedFormat, string> = {
	raw: "raw",
	qcow2: "qcow2",
	vmdk: "VMDK",
	vhd: "VHD",
	vhdx: "VHDX",
	vdi: "VDI",
	iso: "ISO 9660/UDF",
	gpt: "GPT-partitioned raw",
	mbr: "MBR-partitioned raw",
	qed: "QED",
	luks: "LUKS",
};

/** Largest virtual size a header may claim: anything past 2^53 bytes is not a real disk. */
export function safeSize(n: number): number | null {
	return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
