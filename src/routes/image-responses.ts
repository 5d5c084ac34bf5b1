import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { publicImage, type StoredImage } from "../domain/image";

/** The absolute API URL of an image, for Location headers. */
export function imageUrl(c: Context<AppEnv>, id: string): string {
	const base = c.var.config.publicEndpoint ?? new URL(c.req.url).origin;
	return `${base}/v1/images/${id}`;
}

/** `r2://<bucket>/<key>`: where the image's bytes live, as the published Create Image answers. */
export function locationUri(c: Context<AppEnv>, image: StoredImage): string {
	return `r2://${c.var.config.bucketName}/${image.object_key}`;
}

/** `{"image": {...}}` with ETag when the checksum is known (contract §5.2, §5.5). */
export function imageJson(
	c: Context<AppEnv>,
	image: StoredImage,
	status: 200 | 201 | 202,
	extra: Record<string, unknown> = {},
): Response {
	if (image.checksum && image.status === "active") c.header("ETag", image.checksum);
	return c.json({ ...extra, image: publicImage(image) }, status);
}
