import { MESSAGES, V2_MESSAGES } from "./glance-rules";
import type { Identity } from "./identity";
import type { ImageMetaInput, ImageStatus } from "./image";
import { allows } from "./lifecycle";
import { conflict, forbidden, invalid } from "./refusal";
import { checkVisibilitySetter } from "./sharing";

/**
 * Glance: only administrators may make an image public (v1 is_public, v2 visibility); the other
 * visibilities follow the sharing rules (./sharing.ts).
 */
export function checkPublicize(
	meta: Pick<ImageMetaInput, "is_public" | "visibility">,
	who: Identity,
): void {
	if (who.isAdmin) return;
	if (meta.is_public === true) throw forbidden(MESSAGES.publicizeForbidden, "is_public");
	if (meta.visibility !== undefined) checkVisibilitySetter(meta.visibility, who);
}

/** Glance v2: only administrators may create an image owned by another project. */
export function checkOwnerOnCreate(owner: string | null | undefined, who: Identity): void {
	if (owner === undefined || who.isAdmin || owner === who.tenant) return;
	throw forbidden(V2_MESSAGES.foreignOwner(owner ?? "None"), "owner");
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
