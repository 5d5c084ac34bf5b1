import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MESSAGES } from "../domain/glance-rules";
import { invalid } from "../domain/refusal";
import { methodNotAllowed } from "../http/errors";
import { readImageRequest } from "../http/image-request";
import { registerImage } from "../services/image-registration";
import { planUpload, receiveImageData } from "../services/image-upload";
import { imageJson, imageUrl, locationUri } from "./image-responses";

const EMPTY = () => new Response(new Uint8Array(0)).body as ReadableStream<Uint8Array>;

/** POST /v1/images: register (202), or register and upload in one request (201). */
export function imageCollectionRoutes() {
	const app = new Hono<AppEnv>();

	app.post("/images", async (c) => {
		const request = await readImageRequest(c, true);
		const { meta } = request;
		// Glance: x-image-meta-size: 0 without data creates an active, empty image.
		const emptyImage = !request.hasData && meta.size === 0 && request.form === "headers";
		if (!request.hasData && !emptyImage) {
			const image = await registerImage(c.var, meta);
			c.header("Location", imageUrl(c, image.id));
			return imageJson(c, image, 202, { location: locationUri(c, image) });
		}
		const plan = emptyImage
			? { length: 0, declaredSize: null, declaredChecksum: meta.checksum ?? null }
			: planUpload(c.req.raw, meta, c.var.config);
		const body = request.hasData ? c.req.raw.body : EMPTY();
		if (!body) throw invalid(MESSAGES.disconnected);
		const queued = await registerImage(c.var, meta);
		// Glance killed an image whose upload passed the storage quota.
		const active = await receiveImageData(c.var, queued, body, plan, "kill");
		c.header("Location", imageUrl(c, active.id));
		return imageJson(c, active, 201, { location: locationUri(c, active) });
	});
	app.all("/images", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	return app;
}
