import {
	type DetectedFormat,
	FORMAT_NAMES,
	type FormatMatch,
	type InspectOptions,
	type Inspector,
} from "./format";
import { isoInspector } from "./iso";
import { luksInspector } from "./luks";
import { partitionTableInspector } from "./partition-table";
import { qcow2Inspector } from "./qcow2";
import { qedInspector } from "./qed";
import { vdiInspector } from "./vdi";
import { vhdInspector } from "./vhd";
import { vhdxInspector } from "./vhdx";
import { vmdkInspector } from "./vmdk";
import { type ByteRegion, type ByteView, type ImageWindows, viewOf } from "./windows";

/** Every inspector; all of them run on every image, whatever format was declared. */
export const INSPECTORS: readonly Inspector[] = [
	qcow2Inspector,
	vmdkInspector,
	vhdInspector,
	vhdxInspector,
	vdiInspector,
	isoInspector,
	partitionTableInspector,
	qedInspector,
	luksInspector,
];

/** What the bytes of one image are. */
export interface Inspection {
	format: DetectedFormat;
	/** From the format's header; for raw data, the byte size. */
	virtualSize: number | null;
	/** Why the image must be refused whatever it was declared as; null when it is safe. */
	unsafe: string | null;
	variant?: string;
	/** Every format whose signature was found (more than one only for allowed combinations). */
	matches: DetectedFormat[];
}

/** Inspects captured windows (see `ImageWindows`). Pure and deterministic. */
export function inspectWindows(windows: ImageWindows, options: InspectOptions): Inspection {
	return inspectView(viewOf(windows), options);
}

export function inspectView(view: ByteView, options: InspectOptions): Inspection {
	const found: FormatMatch[] = [];
	for (const inspector of INSPECTORS) {
		let match: FormatMatch | null;
		try {
			match = inspector.inspect(view, options);
		} catch (err) {
			// A bug, never an input we accept: refuse rather than let unknown bytes through.
			console.error(
				JSON.stringify({
					level: "error",
					msg: "inspector failed",
					format: inspector.format,
					error: String(err),
				}),
			);
			match = {
				format: inspector.format,
				virtualSize: null,
				unsafe: `The image data could not be inspected as ${FORMAT_NAMES[inspector.format]}.`,
			};
		}
		if (match) found.push(match);
	}
	return combine(found, view.size);
}

/**
 * One format per image. A second signature means one header may be hiding in another, so the
 * image is refused — except for combinations that are one image: a bootable ISO carries an MBR
 * or GPT in its system area, and a fixed VHD is a raw (possibly partitioned) disk plus a footer.
 */
function combine(found: FormatMatch[], size: number): Inspection {
	const matches = found.map((m) => m.format);
	if (found.length === 0)
		return { format: "raw", virtualSize: size, unsafe: null, matches: ["raw"] };
	if (found.length === 1) return single(found[0], matches);
	const table = found.find((m) => m.format === "gpt" || m.format === "mbr");
	const other = found.find((m) => m !== table);
	const allowed =
		found.length === 2 &&
		table !== undefined &&
		other !== undefined &&
		(other.format === "iso" || (other.format === "vhd" && other.fromTail === true));
	if (allowed) {
		const result = single(other, matches);
		// The partition table is still checked: a hypervisor boots from it.
		return { ...result, unsafe: result.unsafe ?? table.unsafe };
	}
	const names = matches.map((f) => FORMAT_NAMES[f]);
	return {
		format: found[0].format,
		virtualSize: null,
		unsafe: `The image data matches more than one disk format (${names.join(" and ")}); an image that could be read as either format is refused.`,
		matches,
	};
}

function single(match: FormatMatch, matches: DetectedFormat[]): Inspection {
	return {
		format: match.format,
		virtualSize: match.virtualSize,
		unsafe: match.unsafe,
		...(match.variant ? { variant: match.variant } : {}),
		matches,
	};
}

/** Regions beyond the head that the format inspectors ask for, located from the head alone. */
export function inspectorRegions(head: Uint8Array): ByteRegion[] {
	const out: ByteRegion[] = [];
	for (const inspector of INSPECTORS) {
		if (!inspector.regions) continue;
		try {
			out.push(...inspector.regions(head));
		} catch {
			// A region is only an optimisation for a later read; the inspection decides.
		}
	}
	return out;
}
