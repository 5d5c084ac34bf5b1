import type { Config } from "../config";
import { requireModifiable } from "../domain/access";
import {
	MAX_PARTS,
	MESSAGES,
	MIN_PART_BYTES,
	SESSION_MESSAGES,
	TRANSITIONS,
} from "../domain/glance-rules";
import { glanceTimestamp, type StoredImage } from "../domain/image";
import { conflict, invalid, notFound, tooLarge, unavailable } from "../domain/refusal";
import { checkDeclaredSize } from "../domain/validate-image-meta";
import type { Identity } from "../identity/identity";
import type { ImageRepository } from "../metadata/image-repository";
import type { SessionRepository, StoredPart, UploadSession } from "../metadata/session-repository";
import type { BlobStore } from "../storage/blob-store";
import { findVisibleImage } from "./image-lookup";

export interface SessionDeps {
	images: ImageRepository;
	sessions: SessionRepository;
	blobs: BlobStore;
	config: Config;
	identity: Identity;
	/** Hands a completed upload to the background verifier. */
	enqueueVerification: (imageId: string) => Promise<void>;
}

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
	const { upload_id: _uploadId, ...rest } = session;
	return { ...rest, parts: parts.map((p) => p.part_number) };
}

/**
 * The part size for an image: the configured size, grown so the image fits in 10 000 parts,
 * never under R2's 5 MiB minimum and never over the request limit (parts are request bodies).
 */
export function choosePartSize(size: number, config: Config): number {
	const mib = 1024 * 1024;
	const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / mib) * mib;
	const partSize = Math.max(MIN_PART_BYTES, config.uploadPartBytes, needed);
	if (config.maxRequestBytes > 0 && partSize > config.maxRequestBytes) {
		const largest = Math.floor(config.maxRequestBytes / mib) * mib;
		if (largest >= Math.max(MIN_PART_BYTES, needed)) return largest;
		throw tooLarge(SESSION_MESSAGES.tooLargeForLimit(size, largest * MAX_PARTS), "size");
	}
	return partSize;
}

export function expectedPartSize(session: UploadSession, n: number): number {
	return n < session.part_count
		? session.part_size
		: session.size - (session.part_count - 1) * session.part_size;
}

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

export async function openSession(
	deps: SessionDeps,
	imageId: string,
	request: { size: number; checksum?: string; os_hash_value?: string },
): Promise<SessionView> {
	const image = await uploadableImage(deps, imageId);
	const { config } = deps;
	if (image.status !== "queued") throw conflict(SESSION_MESSAGES.notQueued(image.id));
	if (!image.disk_format || !image.container_format) {
		throw invalid(MESSAGES.notSpecified(image.disk_format ? "Container format" : "Disk format"));
	}
	checkDeclaredSize(request.size, config.imageSizeCap, "size");
	if (image.size && image.size !== request.size) {
		throw invalid(SESSION_MESSAGES.sizeDeclared(image.size, request.size), "size");
	}
	if (image.checksum && request.checksum && image.checksum !== request.checksum) {
		throw invalid(SESSION_MESSAGES.checksumDeclared(image.checksum, request.checksum), "checksum");
	}
	const partSize = choosePartSize(request.size, config);
	const upload = await deps.blobs.startMultipart(image.object_key);
	const now = new Date();
	const session: UploadSession = {
		image_id: image.id,
		upload_id: upload.uploadId,
		size: request.size,
		part_size: partSize,
		part_count: Math.ceil(request.size / partSize),
		checksum: request.checksum ?? image.checksum ?? null,
		os_hash_value: request.os_hash_value ?? null,
		state: "open",
		created_at: glanceTimestamp(now),
		expires_at: glanceTimestamp(new Date(now.getTime() + config.sessionTtlSeconds * 1000)),
	};
	const outcome = await deps.sessions.open(session, config.storageQuota);
	if (outcome !== "opened") {
		await upload.abort().catch(() => {});
		if (outcome === "exists") throw conflict(SESSION_MESSAGES.exists(image.id));
		if (outcome === "quota") {
			const used = image.owner ? await deps.images.storageUsed(image.owner) : 0;
			throw tooLarge(MESSAGES.storageQuota(config.storageQuota, used, request.size), "size");
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
 * re-sending a part replaces it. Parts can arrive in any order, on any instance.
 */
export async function uploadPart(
	deps: SessionDeps,
	imageId: string,
	partNumber: number,
	request: Request,
): Promise<StoredPart> {
	const image = await uploadableImage(deps, imageId);
	const session = await openSessionOf(deps, image);
	if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > session.part_count) {
		throw invalid(SESSION_MESSAGES.partNumber(session.part_count), "part_number");
	}
	const expected = expectedPartSize(session, partNumber);
	const header = request.headers.get("content-length");
	const declared = header === null ? null : Number(header);
	if (declared !== null && declared !== expected) {
		throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, declared), "Content-Length");
	}
	if (!request.body)
		throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, 0), "Content-Length");
	// A chunked part gets a known length this way; a short or long body makes the put fail.
	let body: ReadableStream<Uint8Array> = request.body;
	let piping: Promise<void> | null = null;
	if (declared === null) {
		const sized = new FixedLengthStream(expected);
		piping = request.body.pipeTo(sized.writable);
		body = sized.readable;
	}
	const write = deps.blobs.resumeMultipart(image.object_key, session.upload_id);
	let etag: string;
	try {
		const [part] = await Promise.all([write.uploadPart(partNumber, body), piping]);
		etag = part.etag;
	} catch (err) {
		if (piping)
			throw invalid(SESSION_MESSAGES.partSize(partNumber, expected, null), "Content-Length");
		throw unavailable("The image store failed while writing the part; send it again.", err);
	}
	const part = { part_number: partNumber, size: expected, etag };
	// Every stored part moves the deadline: a slow upload that keeps going is not swept.
	const deadline = glanceTimestamp(new Date(Date.now() + deps.config.sessionTtlSeconds * 1000));
	if (!(await deps.sessions.savePart(image.id, part, deadline)))
		throw conflict(SESSION_MESSAGES.closed);
	return part;
}

/** Aborts a session: its parts are dropped, the reservation released, the image stays queued. */
export async function abortSession(deps: SessionDeps, imageId: string): Promise<void> {
	const image = await uploadableImage(deps, imageId);
	const session = await openSessionOf(deps, image);
	await deps.blobs
		.resumeMultipart(image.object_key, session.upload_id)
		.abort()
		.catch(() => {});
	await deps.sessions.close(image.id);
}

/**
 * Completes a session: every part must be stored. The image moves to saving, R2 assembles the
 * object, and the verifier checks it in the background (clients poll HEAD for active/killed).
 */
export async function completeSession(deps: SessionDeps, imageId: string): Promise<StoredImage> {
	const image = await uploadableImage(deps, imageId);
	// Completing twice (a client retrying after a lost answer) answers the same again.
	const current = await deps.sessions.find(image.id);
	if (current?.state === "verifying" && image.status === "saving") return image;
	const session = await openSessionOf(deps, image);
	const parts = await deps.sessions.parts(image.id);
	const stored = new Set(parts.map((p) => p.part_number));
	const missing: number[] = [];
	for (let n = 1; n <= session.part_count; n++) if (!stored.has(n)) missing.push(n);
	if (missing.length > 0) throw invalid(SESSION_MESSAGES.missingParts(missing));
	if (!(await deps.sessions.markCompleted(image.id))) throw conflict(SESSION_MESSAGES.closed);
	try {
		await deps.blobs
			.resumeMultipart(image.object_key, session.upload_id)
			.complete(parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })));
	} catch (err) {
		const reason = `The image store could not assemble the uploaded parts: ${err instanceof Error ? err.message : String(err)}`;
		await failUpload(deps, image, reason);
		throw unavailable(reason, err);
	}
	await deps.enqueueVerification(image.id);
	const now = await deps.images.find(image.id, null);
	return now?.image ?? image;
}

/** Kills an upload that cannot become active: no bytes, no session, no reservation left. */
export async function failUpload(
	deps: Pick<SessionDeps, "images" | "sessions" | "blobs">,
	image: StoredImage,
	reason: string,
): Promise<void> {
	await deps.images.transition(image.id, TRANSITIONS.kill.from, TRANSITIONS.kill.to, {
		status_reason: reason,
		reserved_bytes: 0,
	});
	const session = await deps.sessions.find(image.id);
	if (session) {
		await deps.blobs
			.resumeMultipart(image.object_key, session.upload_id)
			.abort()
			.catch(() => {});
	}
	await deps.blobs.delete(image.object_key).catch(() => {});
	await deps.sessions.close(image.id);
}
