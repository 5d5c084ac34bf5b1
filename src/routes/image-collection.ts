import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MESSAGES } from "../domain/glance-rules";
import { invalid } from "../domain/refusal";
import { methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { readImageRequest } from "../http/image-request";
import { createImage } from "../services/image-create";
import { imageJson, imageUrl, locationUri } from "./image-responses";

/** POST /v1/images: register (202), or register and upload in one request (201). */
export function imageCollectionRoutes() {
	const app = new Hono<AppEnv>();

	app.post("/images", async (c) => {
		const { meta, form, hasData } = await readImageRequest(c, true);
		const data = hasData ? imageDataOf(c.req.raw) : null;
		if (hasData && !data) throw invalid(MESSAGES.disconnected);
		const created = await createImage(c.var, { meta, data, acceptsData: form === "headers" });
		const { image } = created;
		c.header("Location", imageUrl(c, image.id));
		return imageJson(c, image, created.withData ? 201 : 202, {
			location: locationUri(c, image),
		});
	});
	app.all("/images", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	return app;
}
