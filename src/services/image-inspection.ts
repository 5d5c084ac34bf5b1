import type { Identity } from "../domain/identity";
import type { ImageStatus } from "../domain/image";
import type { ImageRepository } from "../metadata/image-repository";
import { findVisibleImage } from "./image-lookup";

/** What content inspection made of an image's bytes, for the console's detail page. */
export interface Inspection {
	status: ImageStatus;
	/** The format the bytes were found to be (qcow2, raw, iso...); null before data arrived. */
	detected_format: string | null;
	declared_format: string | null;
	/** Why a killed image was refused, as the verifier wrote it. */
	status_reason: string | null;
}

/** The inspection verdict of an image the caller can see. v1 has no field for it, hence this. */
export async function inspectionOf(
	deps: { images: ImageRepository; identity: Identity },
	imageId: string,
): Promise<Inspection> {
	const { image } = await findVisibleImage(deps.images, deps.identity, imageId);
	return {
		status: image.status,
		detected_format: image.detected_format,
		declared_format: image.disk_format,
		status_reason: image.status_reason,
	};
}
