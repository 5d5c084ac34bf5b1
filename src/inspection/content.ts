/**
 * The content check of an upload: what the bytes are, whether they are safe to hand to a
 * hypervisor, and whether they are what the image declares (security-and-platform.md §A.1,
 * docs/content-safety.md).
 */
import { INSPECTED_DISK_FORMATS, PLAIN_CONTENT } from "../domain/glance-rules";
import { type DetectedFormat, FORMAT_NAMES, type InspectOptions } from "./format";
import { type Inspection, inspectorRegions, inspectView } from "./inspect";
import { inspectOva, ovaRegions } from "./ova";
import { type ByteRegion, boundRegions, type ImageWindows, viewOf } from "./windows";

export const DISK_FORMAT_FIELD = "disk_format";
export const CONTAINER_FORMAT_FIELD = "container_format";

export interface ContentPolicy extends InspectOptions {
	/** Refuse bytes that are not the declared disk_format (Glance's require_image_format_match). */
	requireFormatMatch: boolean;
}

export interface DeclaredFormats {
	diskFormat: string | null;
	containerFormat: string | null;
}

export type ContentVerdict =
	| {
			accepted: true;
			/** The virtual size to record, or null when the bytes do not say. */
			virtualSize: number | null;
			/** What the bytes were found to be (null when not inspected). */
			detected: DetectedFormat | null;
	  }
	| {
			accepted: false;
			/** Why, in words for the uploader; also the killed image's status_reason. */
			reason: string;
			/** The request field at fault, when one is. */
			field: string | null;
	  };

/** Every region beyond the head any check may need, located from the head alone (bounded). */
export function regionsToCapture(head: Uint8Array): ByteRegion[] {
	return boundRegions([...inspectorRegions(head), ...ovaRegions(head)], head.byteLength);
}

/**
 * Judges an image's captured windows against its declared formats. Safety failures refuse the
 * image whatever the policy; a format mismatch refuses it when `requireFormatMatch` is set.
 */
export function judgeContent(
	windows: ImageWindows,
	declared: DeclaredFormats,
	policy: ContentPolicy,
): ContentVerdict {
	// An empty image (Glance's size 0 registration) has nothing a hypervisor could misread.
	if (windows.size === 0) return { accepted: true, virtualSize: null, detected: null };
	const disk = declared.diskFormat ?? "";
	const view = viewOf(windows);
	let inspection: Inspection;
	let inspectedSize = windows.size;
	if (declared.containerFormat === "ova") {
		const ova = inspectOva(view, policy);
		if (ova.problem?.unsafe) return refuse(ova.problem.message, null);
		if (ova.problem && policy.requireFormatMatch) {
			return refuse(ova.problem.message, CONTAINER_FORMAT_FIELD);
		}
		if (ova.disk) {
			inspection = ova.inspection;
			inspectedSize = ova.disk.size;
		} else {
			// Not an OVA, and mislabelled images are allowed: the bytes are still checked as a disk.
			inspection = inspectView(view, policy);
		}
	} else {
		inspection = inspectView(view, policy);
	}
	if (inspection.unsafe) return refuse(inspection.unsafe, null);
	if (matchesDeclared(inspection.format, disk)) {
		return {
			accepted: true,
			virtualSize: virtualSizeFor(inspection, disk, inspectedSize),
			detected: inspection.format,
		};
	}
	if (!policy.requireFormatMatch) {
		return { accepted: true, virtualSize: null, detected: inspection.format };
	}
	return refuse(mismatch(inspection, disk), DISK_FORMAT_FIELD);
}

/** An OVA's record keeps the disk it holds: `ova:qcow2`. */
const OVA_RECORD = "ova:";

/**
 * What to keep of an accepted upload's verdict, so that a later relabelling can be held to the
 * same rule: the detected format, prefixed when the bytes are a verified OVA archive.
 */
export function formatRecord(detected: string | null, declared: DeclaredFormats): string | null {
	if (detected === null) return null;
	return declared.containerFormat === "ova" ? `${OVA_RECORD}${detected}` : detected;
}

/**
 * Whether an image whose bytes were recorded as `record` may now be labelled `declared`: the
 * format rule its upload passed, applied to the new labels without reading the bytes again.
 */
export function relabelRefusal(
	record: string,
	declared: DeclaredFormats,
	policy: Pick<ContentPolicy, "requireFormatMatch">,
): { reason: string; field: string } | null {
	if (!policy.requireFormatMatch) return null;
	const isOva = record.startsWith(OVA_RECORD);
	if (declared.containerFormat === "ova" && !isOva) {
		return {
			reason: "The image data is not an OVA archive, so container_format cannot be 'ova'.",
			field: CONTAINER_FORMAT_FIELD,
		};
	}
	// Outside an OVA the archive itself is what a hypervisor reads: plain bytes.
	const detected = isOva
		? declared.containerFormat === "ova"
			? record.slice(OVA_RECORD.length)
			: "raw"
		: record;
	const disk = declared.diskFormat ?? "";
	if (matchesDeclared(detected as DetectedFormat, disk)) return null;
	return {
		reason: `The image data is ${detected}, so disk_format cannot be '${disk}': it must describe the data.`,
		field: DISK_FORMAT_FIELD,
	};
}

function refuse(reason: string, field: string | null): ContentVerdict {
	return { accepted: false, reason, field };
}

/** raw holds plain bytes; formats without an inspector (ami, ploop...) must look like plain bytes. */
function matchesDeclared(detected: DetectedFormat, disk: string): boolean {
	if (disk === "raw" || !INSPECTED_DISK_FORMATS.has(disk)) return PLAIN_CONTENT.has(detected);
	return detected === disk;
}

/**
 * raw and iso are attached as plain bytes, so the disk a hypervisor sees is the whole image (an
 * ISO's volume descriptor counts only its filesystem, not partitions appended by hybrid tools).
 */
function virtualSizeFor(inspection: Inspection, disk: string, size: number): number | null {
	if (disk === "raw" || disk === "iso") return size;
	if (!INSPECTED_DISK_FORMATS.has(disk)) return null;
	return inspection.virtualSize;
}

function mismatch(inspection: Inspection, disk: string): string {
	const found = describe(inspection);
	// Worded for v1 clients, who set the format with this header (the tests pin the text).
	const says = `x-image-meta-disk_format says '${disk}'`;
	if (PLAIN_CONTENT.has(inspection.format)) {
		return `${says}, but the image data is not ${article(disk)} ${disk} image: no ${disk} header was found (it looks like ${found}).`;
	}
	if (!INSPECTED_DISK_FORMATS.has(disk)) {
		return `${says}, which holds plain (raw) bytes, but the image data is ${found}.`;
	}
	const suggestion = INSPECTED_DISK_FORMATS.has(inspection.format)
		? ` Register it with disk_format '${inspection.format}', or convert it to ${disk} first.`
		: "";
	return `${says}, but the image data is ${found}.${suggestion}`;
}

function describe(inspection: Inspection): string {
	switch (inspection.format) {
		case "raw":
			return "raw data";
		case "gpt":
		case "mbr":
			return `a raw disk with ${inspection.format === "gpt" ? "a GPT" : "an MBR"} partition table`;
		case "iso":
			return "an ISO 9660/UDF image";
		default: {
			const variant = inspection.variant ? ` (${inspection.variant})` : "";
			const name = FORMAT_NAMES[inspection.format];
			return `${article(name)} ${name}${variant} image`;
		}
	}
}

/** "an" before a vowel sound: "an iso image", "an ami image", "an MBR-partitioned raw image". */
function article(word: string): "a" | "an" {
	return /^([aeiou]|MBR)/i.test(word) ? "an" : "a";
}
