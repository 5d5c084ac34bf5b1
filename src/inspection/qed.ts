/**
 * QED (QEMU enhanced disk), from its specification (docs/interop/qed_spec.txt): magic "QED\0"
 * at 0, little-endian header with the image size at offset 48. Always refused: the format is
 * deprecated, no declared disk_format matches it, and it can name a backing file.
 */
import { type Inspector, safeSize } from "./format";
import { fieldsAt } from "./windows";

export const qedInspector: Inspector = {
	format: "qed",
	inspect(view) {
		if (!fieldsAt(view, 0, 4)?.has(0, "QED\0")) return null;
		const h = fieldsAt(view, 0, 56);
		return {
			format: "qed",
			virtualSize: h ? safeSize(h.u64le(48)) : null,
			unsafe:
				"The image is a QED image. QED is a deprecated QEMU format this registry never accepts; convert it to qcow2 or raw.",
		};
	},
};
