/**
 * LUKS version 1, from the LUKS On-Disk Format Specification 1.2.3: a big-endian header with
 * magic "LUKS\xba\xbe", version 1, the payload offset (in sectors) at 104, the master-key digest
 * iterations at 164 and eight 48-byte key slots from 208. The encrypted payload fills the rest,
 * so the virtual size is the image size less the payload offset.
 */
import type { Inspector } from "./format";
import { fieldsAt } from "./windows";

const MAGIC = [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe];
const HEADER = 592;
const SECTOR = 512;
const SLOT_ENABLED = 0x00ac71f3;
const SLOT_DISABLED = 0x0000dead;
/**
 * PBKDF2 iterations a consumer must run to open the volume; far above what cryptsetup picks
 * (about a second's worth), so a larger count can only be meant to burn a consumer's CPU.
 */
export const MAX_LUKS_ITERATIONS = 20_000_000;

export const luksInspector: Inspector = {
	format: "luks",
	inspect(view) {
		if (!fieldsAt(view, 0, 6)?.has(0, MAGIC)) return null;
		const refuse = (unsafe: string, virtualSize: number | null = null) => ({
			format: "luks" as const,
			virtualSize,
			unsafe,
		});
		const h = fieldsAt(view, 0, HEADER);
		if (!h) return refuse("The LUKS header is truncated.");
		const version = h.u16be(6);
		if (version !== 1) {
			return refuse(
				`The image is a LUKS version ${version} volume; only LUKS version 1 is accepted.`,
			);
		}
		const payload = h.u32be(104) * SECTOR;
		if (payload < HEADER || payload > view.size) {
			return refuse(
				"The LUKS header places its payload outside the image: the image is truncated or corrupt.",
			);
		}
		const virtualSize = view.size - payload;
		if (h.u32be(164) > MAX_LUKS_ITERATIONS) {
			return refuse(
				"The LUKS header demands an excessive number of key-derivation iterations.",
				virtualSize,
			);
		}
		let enabled = 0;
		for (let slot = 0; slot < 8; slot++) {
			const at = 208 + slot * 48;
			const state = h.u32be(at);
			if (state === SLOT_DISABLED) continue;
			if (state !== SLOT_ENABLED)
				return refuse("The LUKS header has a malformed key slot.", virtualSize);
			if (h.u32be(at + 4) > MAX_LUKS_ITERATIONS) {
				return refuse(
					"A LUKS key slot demands an excessive number of key-derivation iterations.",
					virtualSize,
				);
			}
			enabled += 1;
		}
		if (enabled === 0)
			return refuse("The LUKS volume has no enabled key slot: it cannot be opened.", virtualSize);
		return { format: "luks", virtualSize, unsafe: null, variant: "v1" };
	},
};
