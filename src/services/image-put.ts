import { checkPublicize, requireFormatsForData, requireTakesData } from "../domain/data-rules";
import type { Identity } from "../domain/identity";
import type { ImageMetaInput, StoredImage } from "../domain/image";
import { applyFormatRules, checkFormatPair } from "../domain/validate-image-meta";
import { findVisibleImage } from "./image-lookup";
import { checkUpdateAllowed, updateImageMetadata } from "./image-update";
import {
	type ImageData,
	planUpload,
	receiveImageData,
	startUpload,
	type UploadDeps,
} from "./image-upload";

export interface PutDeps extends UploadDeps {
	identity: Identity;
}

export interface PutRequest {
	meta: ImageMetaInput;
	/** Replace the property set (Glance's x-glance-registry-purge-props) rather than merge. */
	purge: boolean;
	/** Image bytes for a queued image, if the request carries them. */
	data: ImageData | null;
}

/**
 * Glance v1's PUT of an image: a metadata update, or the image's bytes (with any metadata sent
 * alongside applied first, never purging properties).
 */
export async function putImage(
	deps: PutDeps,
	imageId: string,
	request: PutRequest,
): Promise<StoredImage> {
	const { identity, config } = deps;
	const { meta, data } = request;
	checkPublicize(meta, identity);
	const found = await findVisibleImage(deps.images, identity, imageId);
	checkUpdateAllowed(found, identity, meta);
	if (!data) return updateImageMetadata(deps, found, meta, request.purge);

	const stored = found.image;
	requireTakesData(stored.status);
	applyFormatRules(meta, config);
	const disk = meta.disk_format !== undefined ? meta.disk_format : stored.disk_format;
	const container =
		meta.container_format !== undefined ? meta.container_format : stored.container_format;
	requireFormatsForData(disk, container);
	checkFormatPair(disk, container);
	const plan = planUpload(
		data,
		{
			size: meta.size !== undefined ? meta.size : stored.size,
			checksum: meta.checksum !== undefined ? meta.checksum : stored.checksum,
		},
		config,
	);
	const image =
		Object.keys(meta).length > 0 ? await updateImageMetadata(deps, found, meta, false) : stored;
	const saving = await startUpload(deps, image, plan);
	return receiveImageData(deps, saving, data.body, plan);
}
