/**
 * MBR and GPT partition tables of a raw disk, from the MBR layout (four 16-byte entries at 446,
 * signature 55 AA at 510) and the UEFI specification (a protective MBR with one 0xEE entry at
 * LBA 1, the GPT header "EFI PART" at LBA 1). Filesystem boot sectors (FAT, NTFS, exFAT) also end
 * in 55 AA but are not partition tables.
 */
import type { FormatMatch, Inspector } from "./format";
import { type Fields, fieldsAt } from "./windows";

const SECTOR = 512;
const ENTRIES = 446;
const PROTECTIVE = 0xee;

export const partitionTableInspector: Inspector = {
	format: "gpt",
	inspect(view) {
		const mbr = fieldsAt(view, 0, SECTOR);
		if (!mbr?.has(510, [0x55, 0xaa]) || isFilesystemBootSector(mbr)) return null;
		const entries = [0, 1, 2, 3].map((i) => {
			const at = ENTRIES + i * 16;
			return {
				boot: mbr.u8(at),
				chsStart: [mbr.u8(at + 1), mbr.u8(at + 2), mbr.u8(at + 3)],
				type: mbr.u8(at + 4),
				lbaStart: mbr.u32le(at + 8),
			};
		});
		const used = entries.filter((e) => e.type !== 0);
		const protective = entries.findIndex((e) => e.type === PROTECTIVE);
		const format = protective >= 0 ? "gpt" : "mbr";
		const refuse = (why: string): FormatMatch => ({
			format,
			virtualSize: null,
			unsafe: `The disk's partition table is invalid: ${why}`,
		});
		const badBoot = entries.findIndex((e) => e.boot !== 0x00 && e.boot !== 0x80);
		if (badBoot >= 0) return refuse(`partition entry ${badBoot + 1} has an invalid boot flag.`);
		if (used.length === 0)
			return refuse("the MBR signature is present but no partition is defined.");
		if (protective >= 0) {
			const p = entries[protective];
			if (protective !== 0 || used.length !== 1) {
				return refuse("a GPT protective partition must be the first and only MBR partition.");
			}
			if (p.chsStart[0] !== 0 || p.chsStart[1] !== 2 || p.chsStart[2] !== 0 || p.lbaStart !== 1) {
				return refuse("the GPT protective partition does not start at sector 1.");
			}
			const gpt512 = fieldsAt(view, SECTOR, 8);
			const gpt4k = fieldsAt(view, 4096, 8);
			if (!gpt512?.has(0, "EFI PART") && !gpt4k?.has(0, "EFI PART")) {
				return refuse("the protective MBR is not followed by a GPT header.");
			}
		}
		return { format, virtualSize: null, unsafe: null };
	},
};

/** A FAT, NTFS or exFAT volume boot record: a jump instruction and a filesystem signature. */
function isFilesystemBootSector(s: Fields): boolean {
	const jumps = (s.u8(0) === 0xeb && s.u8(2) === 0x90) || s.u8(0) === 0xe9;
	if (!jumps) return false;
	if (s.has(3, "NTFS    ") || s.has(3, "EXFAT   ")) return true;
	return s.has(54, "FAT") || s.has(82, "FAT32");
}
