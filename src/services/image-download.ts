import { MESSAGES } from "../domain/glance-rules";
import type { StoredImage } from "../domain/image";
import { forbidden, notFound } from "../domain/refusal";
import type { BlobBody, BlobStore, ByteRange } from "../storage/blob-store";

/**
 * Opens an image's bytes for download (contract §5.4): only active images have data;
 * deactivated → 403, any other status → 404. A zero-byte image needs no object.
 */
export async function openImageData(
	blobs: BlobStore,
	image: StoredImage,
	range?: ByteRange,
	options: { readDeactivated?: boolean } = {},
): Promise<BlobBody> {
	const deactivatedOk = options.readDeactivated === true && image.status === "deactivated";
	if (image.status === "deactivated" && !deactivatedOk) {
		throw forbidden(MESSAGES.deactivated(image.id));
	}
	if (deactivatedOk) return readStored(blobs, image, range);
	if (image.status !== "active") throw notFound(MESSAGES.notActive(image.id));
	return readStored(blobs, image, range);
}

async function readStored(
	blobs: BlobStore,
	image: StoredImage,
	range?: ByteRange,
): Promise<BlobBody> {
	if (image.size === 0)
		return { body: new Response(new Uint8Array(0)).body as ReadableStream, size: 0 };
	const blob = await blobs.get(image.object_key, range);
	if (!blob) {
		console.error(
			JSON.stringify({
				level: "error",
				msg: "active image has no data in the store",
				image_id: image.id,
			}),
		);
		throw notFound(`Image data for ${image.id} could not be found in the store.`);
	}
	return blob;
}
