import type { Config } from "../config";
import { MESSAGES } from "../domain/glance-rules";
import type { Identity } from "../domain/identity";
import type { StoredImage } from "../domain/image";
import { forbidden, notFound, Refusal } from "../domain/refusal";
import { canonicalUuid } from "../domain/validate-image-meta";
import { toHex } from "../lib/hex";
import type { ImageRepository } from "../metadata/image-repository";
import type { BlobBody, BlobStore } from "../storage/blob-store";
import { openImageData } from "./image-download";
import { findVisibleImage } from "./image-lookup";

export interface DownloadLink {
	url: string;
	expires_at: string;
}

const SIGNATURE = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

function requireSecret(config: Config): string {
	if (!config.downloadLinkSecret) {
		throw new Refusal(
			"not_implemented",
			"Download links are not enabled on this server (DOWNLOAD_LINK_SECRET is not set).",
		);
	}
	return config.downloadLinkSecret;
}

function hmacKey(secret: string, usage: "sign" | "verify") {
	return crypto.subtle.importKey(
		"raw",
		encoder.encode(secret),
		{ name: "HMAC", hash: "SHA-256" },
		false,
		[usage],
	);
}

/**
 * What a link vouches for. created_at is in it so that a link outlives neither its image nor a
 * later image that somehow got the same id.
 */
const signedText = (image: StoredImage, expires: number) =>
	`glance-edge download\n${image.id}\n${image.created_at}\n${expires}`;

/**
 * A URL anyone may GET the image's bytes from for `downloadLinkSeconds`, made for a caller who
 * may download it now. It lets a browser save a private image without holding it in memory or
 * putting the token in a URL.
 */
export async function createDownloadLink(
	deps: { images: ImageRepository; identity: Identity; config: Config },
	imageId: string,
	base: string,
	now: number = Date.now(),
): Promise<DownloadLink> {
	const secret = requireSecret(deps.config);
	const { image } = await findVisibleImage(deps.images, deps.identity, imageId);
	if (image.deleted) throw notFound(MESSAGES.imageNotFound(image.id));
	if (image.status === "deactivated") throw forbidden(MESSAGES.deactivated(image.id));
	if (image.status !== "active") throw notFound(MESSAGES.notActive(image.id));
	const expires = Math.floor(now / 1000) + deps.config.downloadLinkSeconds;
	const key = await hmacKey(secret, "sign");
	const signature = toHex(
		await crypto.subtle.sign("HMAC", key, encoder.encode(signedText(image, expires))),
	);
	return {
		url: `${base}/downloads/${image.id}?expires=${expires}&signature=${signature}`,
		expires_at: new Date(expires * 1000).toISOString(),
	};
}

function fromHex(hex: string): Uint8Array {
	const out = new Uint8Array(hex.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
	return out;
}

/**
 * The bytes behind a download link. Every bad link gets the same 403, so a guesser learns
 * nothing about which images exist; a deleted image's link is a 404, as its URL would be.
 */
export async function openLinkedDownload(
	deps: { images: ImageRepository; blobs: BlobStore; config: Config },
	imageId: string,
	query: { expires?: string; signature?: string },
	now: number = Date.now(),
): Promise<{ image: StoredImage; blob: BlobBody }> {
	const secret = requireSecret(deps.config);
	const refused = forbidden("This download link is not valid or has expired.");
	const expires = Number(query.expires);
	const signature = query.signature?.toLowerCase() ?? "";
	if (!Number.isSafeInteger(expires) || !SIGNATURE.test(signature)) throw refused;
	if (expires * 1000 <= now) throw refused;
	const found = /^[0-9a-f-]{32,36}$/i.test(imageId)
		? await deps.images.find(canonicalUuid(imageId), null)
		: null;
	if (!found) throw refused;
	const key = await hmacKey(secret, "verify");
	// verify() compares in constant time.
	const valid = await crypto.subtle.verify(
		"HMAC",
		key,
		fromHex(signature),
		encoder.encode(signedText(found.image, expires)),
	);
	if (!valid) throw refused;
	if (found.image.deleted) throw notFound(MESSAGES.imageNotFound(found.image.id));
	return { image: found.image, blob: await openImageData(deps.blobs, found.image) };
}
