/**
 * Content inspection of uploaded images (security-and-platform.md §A.1): bounded-window format
 * inspectors, the safety and format-match verdict, and the capture of the windows from an
 * upload stream as it passes (services/stored-windows.ts reads them from a stored object).
 */
export { WindowCapture } from "./capture";
export {
	CONTAINER_FORMAT_FIELD,
	type ContentPolicy,
	type ContentVerdict,
	type DeclaredFormats,
	DISK_FORMAT_FIELD,
	formatRecord,
	judgeContent,
	regionsToCapture,
	relabelRefusal,
} from "./content";
export type { DetectedFormat, FormatMatch, InspectOptions, Inspector } from "./format";
export { INSPECTORS, type Inspection, inspectView, inspectWindows } from "./inspect";
export { type ByteView, HEAD_WINDOW, type ImageWindows, TAIL_WINDOW, viewOf } from "./windows";
