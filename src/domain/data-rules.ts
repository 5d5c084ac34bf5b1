import { MESSAGES } from "./glance-rules";
import type { Identity } from "./identity";
import type { ImageMetaInput, ImageStatus } from "./image";
import { allows } from "./lifecycle";
import { conflict, forbidden, invalid } from "./refusal";

/** Glance: only administrators may make an image public. */
export function checkPublicize(meta: Pick<ImageMetaInput, "is_public">, who: Identity): void {
	if (meta.is_public === true && !who.isAdmin) {
		throw forbidden(MESSAGES.publicizeForbidden, "is_public");
	}
}

/** Glance: only a queued image takes data. */
export function requireTakesData(status: ImageStatus): void {
	if (!allows("startUpload", status)) throw conflict(MESSAGES.unqueued);
}

/** Glance: both formats must be known before data is attached. */
export function requireFormatsForData(
	disk: string | null | undefined,
	container: string | null | undefined,
): { disk: string; container: string } {
	if (disk == null) throw invalid(MESSAGES.notSpecified("Disk format"), "disk_format");
	if (container == null) {
		throw invalid(MESSAGES.notSpecified("Container format"), "container_format");
	}
	return { disk, container };
}
