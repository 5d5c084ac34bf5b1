/**
 * VHDX, from Microsoft's [MS-VHDX] specification: identifier "vhdxfile" at 0, region tables at
 * 192 KiB and 256 KiB (little-endian), and a metadata region, located through the region table,
 * whose table lists items such as the virtual disk size and the parent locator.
 */
import { type FormatMatch, type Inspector, safeSize } from "./format";
import {
	type ByteRegion,
	type ByteView,
	type Fields,
	fieldsAt,
	MAX_REGION_BYTES,
	viewOf,
} from "./windows";

const KiB = 1024;
const REGION_TABLES = [192 * KiB, 256 * KiB];
const MAX_ENTRIES = 2047;
const METADATA_REGION = guid("8B7CA206-4790-4B9A-B8FE-575F050F886E");
const VIRTUAL_DISK_SIZE = guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8");
const FILE_PARAMETERS = guid("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");
const PARENT_LOCATOR = guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");
const HAS_PARENT = 0x2;

export const vhdxInspector: Inspector = {
	format: "vhdx",
	inspect(view) {
		if (!fieldsAt(view, 0, 8)?.has(0, "vhdxfile")) return null;
		const region = metadataRegion(view);
		if (!region) return { format: "vhdx", virtualSize: null, unsafe: null };
		return readMetadata(view, region);
	},
	regions(head) {
		const region = metadataRegion(viewOf({ size: head.byteLength, head, tail: head, regions: [] }));
		return region
			? [{ offset: region.offset, length: Math.min(region.length, MAX_REGION_BYTES) }]
			: [];
	},
};

/** The metadata region from the first region table with a valid signature. */
function metadataRegion(view: ByteView): ByteRegion | null {
	for (const at of REGION_TABLES) {
		const header = fieldsAt(view, at, 16);
		if (!header?.has(0, "regi")) continue;
		const count = Math.min(header.u32le(8), MAX_ENTRIES);
		const entries = fieldsAt(view, at + 16, count * 32);
		if (!entries) continue;
		for (let i = 0; i < count; i++) {
			if (!entries.has(i * 32, METADATA_REGION)) continue;
			const offset = entries.u64le(i * 32 + 16);
			const length = entries.u32le(i * 32 + 24);
			if (!Number.isSafeInteger(offset) || length < 32) return null;
			return { offset, length };
		}
	}
	return null;
}

function readMetadata(view: ByteView, region: ByteRegion): FormatMatch {
	const found: FormatMatch = { format: "vhdx", virtualSize: null, unsafe: null };
	const header = fieldsAt(view, region.offset, 32);
	if (!header?.has(0, "metadata")) return found;
	const count = Math.min(header.u16le(10), MAX_ENTRIES);
	const table = fieldsAt(view, region.offset + 32, count * 32);
	if (!table) return found;
	const item = (i: number, length: number): Fields | null => {
		const offset = table.u32le(i * 32 + 16);
		if (offset + length > region.length) return null;
		return fieldsAt(view, region.offset + offset, length);
	};
	for (let i = 0; i < count; i++) {
		if (table.has(i * 32, VIRTUAL_DISK_SIZE)) {
			const size = item(i, 8);
			if (size) found.virtualSize = safeSize(size.u64le(0));
		} else if (table.has(i * 32, PARENT_LOCATOR)) {
			found.unsafe = differencing;
		} else if (table.has(i * 32, FILE_PARAMETERS)) {
			const params = item(i, 8);
			if (params && params.u32le(4) & HAS_PARENT) found.unsafe = differencing;
		}
	}
	return found;
}

const differencing =
	"The image is a differencing VHDX: it depends on a parent disk file a hypervisor would open on its own host.";

/** A GUID in its on-disk form: the first three fields little-endian, the rest as written. */
function guid(text: string): number[] {
	const hex = text.replace(/-/g, "");
	const bytes = Array.from({ length: 16 }, (_, i) =>
		Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16),
	);
	const swap = (from: number, n: number) => bytes.slice(from, from + n).reverse();
	return [...swap(0, 4), ...swap(4, 2), ...swap(6, 2), ...bytes.slice(8)];
}
