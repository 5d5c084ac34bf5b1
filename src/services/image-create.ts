import { checkOwnerOnCreate } from "../domain/data-rules";
import type { Identity } from "../domain/identity";
import type { ImageMetaInput, StoredImage } from "../domain/image";
import { Refusal } from "../domain/refusal";
import { applyFormatRules } from "../domain/validate-image-meta";
import { ImageLifecycle } from "./image-lifecycle";
import { insertNewImage, registerImage } from "./image-registration";
import {
	emptyData,
	type ImageData,
	planUpload,
	receiveImageData,
	startUpload,
	type UploadDeps,
} from "./image-upload";

export interface CreateDeps extends UploadDeps {
	identity: Identity;
}

export interface CreateRequest {
	meta: ImageMetaInput;
	/** The image bytes sent with the registration, if any. */
	data: ImageData | null;
	/**
	 * The request could have carried data (Glance v1's header form). Then a declared size of 0
	 * without data is an empty image that becomes active at once, as Glance did.
	 */
	acceptsData: boolean;
}

/**
 * Registers an image (queued), or registers it and stores its bytes in one request (active).
 * Everything checkable runs before the insert, so a refused registration writes nothing.
 */
export async function createImage(
	deps: CreateDeps,
	request: CreateRequest,
): Promise<{ image: StoredImage; withData: boolean }> {
	const { meta, acceptsData } = request;
	const data = request.data ?? (acceptsData && meta.size === 0 ? emptyData() : null);
	if (!data) return { image: await registerImage(deps, meta), withData: false };
	const plan = planUpload(data, meta, deps.config);
	const queued = await registerImage(deps, meta);
	let saving: StoredImage;
	try {
		saving = await startUpload(deps, queued, plan);
	} catch (err) {
		// Glance killed an image whose upload passed the storage quota.
		if (err instanceof Refusal) await new ImageLifecycle(deps).kill(queued, err.message);
		throw err;
	}
	return { image: await receiveImageData(deps, saving, data.body, plan), withData: true };
}

/**
 * Glance v2's create (glance-v2-contract §2.3): every attribute is optional, the image is queued
 * with no size; a foreign owner and a public visibility need an admin. Data comes later
 * (PUT /v2/images/{id}/file → uploadImageData).
 */
export function createImageV2(deps: CreateDeps, meta: ImageMetaInput): Promise<StoredImage> {
	checkOwnerOnCreate(meta.owner, deps.identity);
	const formats: ImageMetaInput = {};
	if (meta.disk_format != null) formats.disk_format = meta.disk_format;
	if (meta.container_format != null) formats.container_format = meta.container_format;
	applyFormatRules(formats, deps.config);
	return insertNewImage(deps, { ...meta, ...formats }, { unknownSize: true });
}
