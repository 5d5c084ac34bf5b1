import type { Config } from "../config";
import { requireModifiable } from "../domain/access";
import { requireFormatsForData } from "../domain/data-rules";
import { MESSAGES, SESSION_MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import { glanceTimestamp, type StoredImage } from "../domain/image";
import { allows, LIFECYCLE, partsStatus, type SessionPurpose } from "../domain/lifecycle";
import { conflict, invalid, notFound, unavailable } from "../domain/refusal";
import {
	choosePartSize,
	expectedPartSize,
	missingParts,
	partCount,
} from "../domain/upload-geometry";
import { checkDeclaredSize } from "../domain/validate-image-meta";
import type { StoredPart, UploadSession } from "../metadata/session-repository";
import type { MultipartWrite } from "../storage/blob-store";
import { storeHashedPart } from "../storage/hashed-parts";
import { ClientDisconnectedError, PartLengthError, storePart } from "../storage/stream-to-store";
import { ImageLifecycle, type LifecycleDeps } from "./image-lifecycle";
import { findVisibleImage } from "./image-lookup";
import type { ImageData } from "./image-upload";
import { chainEnd, chainStart, partSettled } from "./session-digests";
import { verifyUploadedImage } from "./verify-upload";

export interface SessionDeps extends LifecycleDeps {
	config: Config;
	identity: Identity;
	/** Hands a completed upload to the background verifier, now or after `delaySeconds`. */
	enqueueVerification: (imageId: string, options?: { delaySeconds?: number }) => Promise<void>;
}

/**
 * What completion hashes itself of the bytes the parts left unhashed (parts sent out of
 * order); more goes to the background verifier, in bounded steps.
 */
const HASHED_AT_COMPLETION = 128 * 1024 * 1024;
/**
 * Completion verifies in its own request; should that request die half-way, this message,
 * delivered later, finishes the job (and finds nothing to do otherwise).
 */
const SAFETY_NET_SECONDS = 60;

/** A session as clients see it: its geometry and which parts are stored (how a client resumes). */
export interface SessionView {
	image_id: string;
	size: number;
	part_size: number;
	part_count: number;
	parts: number[];
	checksum: string | null;
	os_hash_value: string | null;
	state: string;
	created_at: string;
	expires_at: string;
}

export function sessionView(session: UploadSession, parts: StoredPart[]): SessionView {
	return {
		image_id: session.image_id,
		size: session.size,
		part_size: session.part_size,
		part_count: session.part_count,
		parts: parts.map((p) => p.part_number),
		checksum: session.checksum,
		os_hash_value: session.os_hash_value,
		state: session.state,
		created_at: session.created_at,
		expires_at: session.expires_at,
	};
}

const deadline = (config: Config, from = Date.now()) =>
	glanceTimestamp(new Date(from + config.sessionTtlSeconds * 1000));

/** The image, if the caller may upload to it (the owner or an admin); else 404/403 as for PUT. */
async function uploadableImage(deps: SessionDeps, imageId: string): Promise<StoredImage> {
	const found = await findVisibleImage(deps.images, deps.identity, imageId);
	const { image } = found;
	if (image.deleted) throw notFound(MESSAGES.imageNotFound(image.id));
	requireModifiable(image, deps.identity, found.callerIsMember, MESSAGES.notOwnerUpdate(image.id));
	return image;
}

async function openSessionOf(deps: SessionDeps, image: StoredImage): Promise<UploadSession> {
	const session = await deps.sessions.find(image.id);
	if (session?.state !== "open") throw notFound(SESSION_MESSAGES.none(image.id));
	return session;
}

const takesParts = (image: StoredImage) => allows("openSession", image.status);
/** Whether the image's session takes parts for `purpose` (its status tells the purpose). */
const takesPartsFor = (image: StoredImage, purpose: SessionPurpose) =>
	image.status === partsStatus(purpose);

/**
 * A new open session of `request.size` bytes for the image, in parts of the size the server
 * picks, with its multipart upload started; whoever fails to record it aborts the upload.
 */
export async function startSession(
	deps: Pick<SessionDeps, "blobs" | "config">,
	image: StoredImage,
	request: { size: number; checksum?: string; os_hash_value?: string },
): Promise<{ session: UploadSession; upload: MultipartWrite }> {
	const partSize = choosePartSize(request.size, deps.config);
	const upload = await deps.blobs.startMultipart(image.object_key);
	const now = new Date();
	const session: UploadSession = {
		image_id: image.id,
		upload_id: upload.uploadId,
		size: request.size,
		part_size: partSize,
		part_count: partCount(request.size, partSize),
		checksum: request.checksum ?? null,
		os_hash_value: request.os_hash_value ?? null,
		state: "open",
		created_at: glanceTimestamp(now),
		expires_at: deadline(deps.config, now.getTime()),
	};
	return { session, upload };
}

export async function openSession(
	deps: SessionDeps,
	imageId: string,
	request: { size: number; checksum?: string; os_hash_value?: string },
): Promise<SessionView> {
	const image = await uploadableImage(deps, imageId);
	const { config } = deps;
	if (!takesParts(image)) throw conflict(SESSION_MESSAGES.notQueued(image.id));
	requireFormatsForData(image.disk_format, image.container_format);
	checkDeclaredSize(request.size, config.imageSizeCap, "size");
	if (image.size && image.size !== request.size) {
		throw invalid(SESSION_MESSAGES.sizeDeclared(image.size, request.size), "size");
	}
	if (image.checksum && request.checksum && image.checksum !== request.checksum) {
		throw invalid(SESSION_MESSAGES.checksumDeclared(image.checksum, request.checksum), "checksum");
	}
	const { session, upload } = await startSession(deps, image, {
		...request,
		checksum: request.checksum ?? image.checksum ?? undefined,
	});
	const outcome = await deps.sessions.open(session, config.storageQuota);
	if (outcome !== "opened") {
		await upload.abort().catch(() => {});
		if (outcome === "exists") throw conflict(SESSION_MESSAGES.exists(image.id));
		if (outcome === "quota") {
			const lifecycle = new ImageLifecycle(deps);
			throw await lifecycle.quotaRefusal(image, request.size, config.storageQuota, "size");
		}
		throw conflict(SESSION_MESSAGES.notQueued(image.id));
	}
	return sessionView(session, []);
}

export async function readSession(deps: SessionDeps, imageId: string): Promise<SessionView> {
	const image = await uploadableImage(deps, imageId);
	const session = await deps.sessions.find(image.id);
	if (!session) throw notFound(SESSION_MESSAGES.none(image.id));
	return sessionView(session, await deps.sessions.parts(image.id));
}

/**
 * Stores one part. Its size must be exactly the session's (the last part: the remainder);
 * re-sending a part replaces it (and the parts after it are hashed again after completion).
 * Parts can arrive in any order, on any instance, but only while the image is queued with this
 * session open: nothing is stored that the quota does not count. A part whose predecessor is
 * hashed is hashed on its way to the store (session-digests.ts).
 */
export async function uploadPart(
	deps: SessionDeps,
	imageId: string,
	partNumber: number,
	data: ImageData | null,
): Promise<StoredPart> {
	return storeSessionPart(deps, await uploadableImage(deps, imageId), partNumber, data, "upload");
}

/**
 * Stores one part of the image's open session, the caller's right to send it already checked
 * (a v1 upload's by uploadPart, a v2 stage's by the staging service): one lookup per part.
 */
export async function storeSessionPart(
	deps: SessionDeps,
	image: StoredImage,
	partNumber: number,
	data: ImageData | null,
	purpose: SessionPurpose,
): Promise<StoredPart> {
	const session = await openSessionOf(deps, image);
	if (!takesPartsFor(image, purpose)) {
		throw conflict(SESSION_MESSAGES.imageTakesNoParts(image.id, image.status));
	}
	if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > session.part_count) {
		throw invalid(SESSION_MESSAGES.partNumber(session.part_count), "part_number");
	}
	const expected = expectedPartSize(session, partNumber);
	const declared = data?.contentLength ?? null;
	if (declared !== null && declared !== expected) {
		throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, declared), "Content-Length");
	}
	if (!data) throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, 0), "Content-Length");
	const write = deps.blobs.resumeMultipart(image.object_key, session.upload_id);
	const arrival = await deps.sessions.arrive(image.id, partNumber);
	// The part's hash token: the guard a successor's saved state is checked against.
	const token = crypto.randomUUID();
	try {
		const chain = await chainStart(deps.sessions, session, partNumber);
		// Held in an object: TypeScript does not see assignments made inside the callback.
		const hashed: { state: string | null } = { state: null };
		let etag: string;
		try {
			({ etag } = chain
				? await storeHashedPart(write, partNumber, data.body, expected, chain.digests, () => {
						hashed.state = chain.digests.save();
					})
				: await storePart(write, partNumber, data.body, expected, declared !== null));
		} catch (err) {
			if (err instanceof PartLengthError) {
				throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, null), "Content-Length");
			}
			const why =
				err instanceof ClientDisconnectedError
					? "The part's body ended early; send it again."
					: "The image store failed while writing the part; send it again.";
			throw unavailable(why, err);
		}
		const part = { part_number: partNumber, size: expected, etag };
		const hash =
			chain && hashed.state !== null ? { state: hashed.state, after: chain.after } : null;
		// Every stored part moves the deadline: a slow upload that keeps going is not swept.
		const saved = await deps.sessions.savePart(
			image.id,
			part,
			deadline(deps.config),
			hash,
			arrival,
			token,
		);
		if (!saved) throw conflict(SESSION_MESSAGES.closed);
		return part;
	} catch (err) {
		await deps.sessions.fail(image.id, partNumber, arrival).catch(() => {});
		throw err;
	} finally {
		// Saved or given up: a successor waiting in this isolate looks at D1 again now.
		partSettled(image.id);
	}
}

/** Aborts a session: its parts are dropped, the reservation released, the image stays queued. */
export async function abortSession(deps: SessionDeps, imageId: string): Promise<void> {
	const image = await uploadableImage(deps, imageId);
	await openSessionOf(deps, image);
	// A staging session (v2) is ended through v2, which queues its image again.
	if (takesPartsFor(image, "stage")) {
		throw conflict(SESSION_MESSAGES.imageTakesNoParts(image.id, image.status));
	}
	await new ImageLifecycle(deps).abandonSession(image);
}

/** Digests declared at completion may add to those declared at opening, never contradict them. */
export function checkDeclaredAtCompletion(
	session: UploadSession,
	declared: { checksum?: string; os_hash_value?: string },
): void {
	for (const field of ["checksum", "os_hash_value"] as const) {
		const given = declared[field];
		if (given && session[field] && session[field] !== given) {
			throw invalid(SESSION_MESSAGES.digestDeclared(field, session[field], given), field);
		}
	}
}

/**
 * Completes a session: every part must be stored. The image moves to saving, R2 assembles the
 * object, and what the parts left unhashed is hashed; then the image is checked and becomes
 * active or killed, in this request when little was left (parts sent in order), else in the
 * background (clients poll HEAD for active/killed).
 */
export async function completeSession(
	deps: SessionDeps,
	imageId: string,
	declared: { checksum?: string; os_hash_value?: string } = {},
): Promise<StoredImage> {
	const image = await uploadableImage(deps, imageId);
	// Completing twice (a client retrying after a lost answer) answers the same again.
	const current = await deps.sessions.find(image.id);
	if (current?.state === "verifying" && image.status === LIFECYCLE.completeSession.to) {
		return image;
	}
	const session = await openSessionOf(deps, image);
	checkDeclaredAtCompletion(session, declared);
	const parts = await deps.sessions.parts(image.id);
	const missing = missingParts(
		session,
		parts.map((p) => p.part_number),
	);
	if (missing.length > 0) throw invalid(SESSION_MESSAGES.missingParts(missing));
	const chain = chainEnd(session, parts);
	if (!(await deps.sessions.markCompleted(image.id, chain, declared))) {
		throw conflict(SESSION_MESSAGES.closed);
	}
	try {
		await deps.blobs
			.resumeMultipart(image.object_key, session.upload_id)
			.complete(parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })));
	} catch (err) {
		const reason = `The image store could not assemble the uploaded parts: ${err instanceof Error ? err.message : String(err)}`;
		await new ImageLifecycle(deps).kill(image, reason);
		throw unavailable(reason, err);
	}
	await deps.enqueueVerification(image.id, { delaySeconds: SAFETY_NET_SECONDS });
	let outcome: Awaited<ReturnType<typeof verifyUploadedImage>>;
	try {
		outcome = await verifyUploadedImage(deps, image.id, HASHED_AT_COMPLETION);
	} catch (err) {
		// The store failed a read: the background verifier retries.
		console.error(
			JSON.stringify({
				level: "error",
				msg: "verification at completion failed; left to the queue",
				image_id: image.id,
				error: err instanceof Error ? err.message : String(err),
			}),
		);
		outcome = "continuing";
	}
	if (outcome === "continuing") await deps.enqueueVerification(image.id);
	const now = await deps.images.find(image.id, null);
	return now?.image ?? image;
}
