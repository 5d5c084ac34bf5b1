import { canModify } from "../domain/access";
import { IMPORT_METHODS, MESSAGES, V2_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { allows } from "../domain/lifecycle";
import { conflict, forbidden, invalid, notFound, Refusal, unavailable } from "../domain/refusal";
import { ImageLifecycle } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";
import { requireOwnerV2 } from "./image-patch";
import {
	type ImageData,
	planUpload,
	streamBytes,
	type UploadDeps,
	uploadFailure,
} from "./image-upload";

export interface ImportDeps extends UploadDeps {
	identity: Identity;
	/** Hands an import to the background verifier. */
	enqueueVerification: (imageId: string) => Promise<void>;
}

/**
 * Glance v2's stage, `PUT /v2/images/{id}/stage` (glance-v2-contract §2.8): the owner, a queued
 * image (formats not needed yet); the image is uploading while the bytes stream to its object,
 * under the same request limit and storage quota as an upload. Then it stays uploading with its
 * size, for the import. A failure queues it again with the bytes removed.
 */
export async function stageImageData(
	deps: UploadDeps & { identity: Identity },
	imageId: string,
	data: ImageData,
): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	requireOwnerV2(found, deps.identity, V2_MESSAGES.notOwnerStage(found.image.id));
	const { image } = found;
	if (!allows("stage", image.status)) throw conflict(V2_MESSAGES.stageNotQueued(image.status));
	// Stage, like upload, cannot declare a size: unsized bodies are taken (image-upload.ts).
	const plan = planUpload(data, {}, deps.config, { acceptUnsized: true });
	const lifecycle = new ImageLifecycle(deps);
	const uploading = await lifecycle.beginStage(image, plan.length ?? 0, deps.config.storageQuota);
	let size: number;
	try {
		({ size } = await streamBytes(deps, lifecycle, uploading, data.body, plan, undefined, "stage"));
	} catch (err) {
		const failure = uploadFailure(err, plan, deps.config);
		await lifecycle.unstage(uploading, failure?.message ?? "The staging failed unexpectedly.");
		throw failure ?? err;
	}
	const staged = await lifecycle.staged(uploading, size);
	if (staged) return staged;
	const now = await deps.images.find(image.id, null);
	if (!now || now.image.deleted) {
		throw new Refusal("deleted_meanwhile", MESSAGES.deletedDuringUpload);
	}
	throw conflict(V2_MESSAGES.stageNotQueued(now.image.status));
}

/** What an import request asks for, once its body passed Glance's checks. */
export interface ImportRequest {
	method: (typeof IMPORT_METHODS)[number];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
	typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The body of `POST …/import`, checked in Glance's order (glance-v2-contract §2.9): a method
 * with a name this service offers, boolean flags; copy-image and web-download are not offered
 * (there is one store, and this service fetches no URL), so they are unknown methods.
 */
export function parseImportRequest(body: unknown): ImportRequest {
	if (!isObject(body) || !isObject(body.method))
		throw invalid(V2_MESSAGES.importNeedsMethod, "method");
	const name = body.method.name;
	if (name === undefined) throw invalid(V2_MESSAGES.importNeedsName, "method.name");
	if (typeof name !== "string" || !(IMPORT_METHODS as readonly string[]).includes(name)) {
		throw invalid(V2_MESSAGES.unknownImportMethod(String(name)), "method.name");
	}
	for (const flag of ["all_stores", "all_stores_must_succeed"]) {
		if (body[flag] !== undefined && typeof body[flag] !== "boolean") {
			throw invalid(V2_MESSAGES.importFlag(flag), flag);
		}
	}
	if (body.all_stores_must_succeed === false) {
		throw invalid(V2_MESSAGES.importMustSucceed, "all_stores_must_succeed");
	}
	return { method: name as ImportRequest["method"] };
}

/**
 * Glance v2's glance-direct import (glance-v2-contract §2.9, §7): staged data moves to
 * importing and is verified in the background (verify-upload.ts) with the same digests and
 * content inspection as every upload; then the image is active, or queued again with the
 * failure recorded on its task.
 */
export async function importImage(
	deps: ImportDeps,
	imageId: string,
	_request: ImportRequest,
): Promise<void> {
	const { identity } = deps;
	const found = await findVisibleImage(deps.images, identity, imageId);
	const { image } = found;
	if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	// Glance checks the image's state before who asks.
	if (image.status === "active" || image.status === "deactivated") {
		throw conflict(V2_MESSAGES.importActive(image.status));
	}
	if (!allows("import", image.status)) throw conflict(V2_MESSAGES.importNotStaged);
	for (const attr of ["container_format", "disk_format"] as const) {
		if (image[attr] === null) throw conflict(V2_MESSAGES.importFormats(attr), attr);
	}
	if (!canModify(image, identity)) throw forbidden(V2_MESSAGES.notOwnerImport(image.id));
	const lifecycle = new ImageLifecycle(deps);
	const importing = await lifecycle.beginImport(image);
	if (!importing) {
		const now = await deps.images.find(image.id, null);
		if (!now || now.image.deleted) throw notFound(MESSAGES.imageGone(image.id));
		if (!allows("import", now.image.status) && now.image.status !== "queued") {
			throw conflict(V2_MESSAGES.importRunning(image.id));
		}
		// Still staging (no size yet), or the stage failed meanwhile.
		throw conflict(V2_MESSAGES.importNotStaged);
	}
	try {
		await deps.enqueueVerification(importing.id);
	} catch (err) {
		const reason = "The import could not be handed to the verifier; stage the data again.";
		await lifecycle.unstage(importing, reason);
		throw err instanceof Refusal ? err : unavailable(reason, err);
	}
}

/** A Glance task as `GET /v2/images/{id}/tasks` lists it (Glance 25's task record). */
export interface ImportTask {
	id: string;
	type: "api_image_import";
	status: "processing" | "success" | "failure";
	owner: string | null;
	image_id: string;
	user_id: string | null;
	request_id: string | null;
	input: { image_id: string; import_req: { method: { name: string } } };
	result: { image_id: string } | null;
	message: string;
	expires_at: null;
	created_at: string;
	updated_at: string;
	deleted_at: null;
	deleted: false;
}

/** How the image's status tells how its latest import went. */
function taskStatus(image: StoredImage): ImportTask["status"] {
	if (image.status === "importing") return "processing";
	if (image.status === "active" || image.status === "deactivated") return "success";
	return "failure";
}

/**
 * The tasks of an image (Glance v2.12's `GET /v2/images/{id}/tasks`): its latest import, if it
 * had one, derived from the image itself (no client needs older ones). A failed import's task
 * carries the reason, which is where Glance records it.
 */
export async function imageTasks(
	deps: { images: UploadDeps["images"]; identity: Identity },
	imageId: string,
): Promise<ImportTask[]> {
	const { image } = await findVisibleImage(deps.images, deps.identity, imageId);
	if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
	if (image.import_task_id === null) return [];
	const status = taskStatus(image);
	return [
		{
			id: image.import_task_id,
			type: "api_image_import",
			status,
			owner: image.owner,
			image_id: image.id,
			user_id: null,
			request_id: null,
			input: { image_id: image.id, import_req: { method: { name: "glance-direct" } } },
			result: status === "success" ? { image_id: image.id } : null,
			message: status === "failure" ? (image.status_reason ?? "") : "",
			expires_at: null,
			created_at: image.upload_started_at ?? image.updated_at,
			updated_at: image.updated_at,
			deleted_at: null,
			deleted: false,
		},
	];
}
