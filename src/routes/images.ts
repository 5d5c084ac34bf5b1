import { Hono } from "hono";
import { publicImage, type StoredImage } from "../domain/image";
import type { AppEnv } from "../env";
import { ApiError, methodNotAllowed } from "../errors";
import { imageMetaHeaders } from "../http/image-headers";
import { readImageRequest } from "../http/image-request";
import { findVisibleImage } from "../services/image-lookup";
import { registerImage } from "../services/image-registration";

/** `r2://<bucket>/<key>`: where the image's bytes live (or will), as the published reference answers. */
function locationUri(bucket: string, image: StoredImage): string {
	return `r2://${bucket}/${image.object_key}`;
}

export function imageRoutes() {
	const app = new Hono<AppEnv>();

	app.post("/images", async (c) => {
		const request = await readImageRequest(c.req.raw, true);
		if (request.hasData) {
			throw new ApiError(501, "Uploading image data is not supported yet.");
		}
		const image = await registerImage(c.var, request.meta, request.fieldName);
		const base = c.var.config.publicEndpoint ?? new URL(c.req.url).origin;
		c.header("Location", `${base}/v1/images/${image.id}`);
		return c.json(
			{ location: locationUri(c.var.config.bucketName, image), image: publicImage(image) },
			202,
		);
	});
	app.all("/images", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	// Hono routes HEAD through the GET handler (and strips the body); the method tells them apart.
	app.get("/images/:id", async (c) => {
		const { image } = await findVisibleImage(c.var.images, c.var.identity, c.req.param("id"));
		if (c.req.method !== "HEAD")
			throw new ApiError(501, "Downloading image data is not supported yet.");
		const headers = imageMetaHeaders(publicImage(image));
		headers.set("Content-Type", "text/plain; charset=UTF-8");
		return new Response(null, { status: 200, headers });
	});
	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
	});

	return app;
}
