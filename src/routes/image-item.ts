import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MESSAGES } from "../domain/glance-rules";
import { publicImage } from "../domain/image";
import { invalid } from "../domain/refusal";
import { parseRange } from "../http/byte-range";
import { ApiError, methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { imageMetaHeaders, purgeRequested } from "../http/image-headers";
import { readImageRequest } from "../http/image-request";
import { deleteImage } from "../services/image-delete";
import { openImageData } from "../services/image-download";
import { findVisibleImage } from "../services/image-lookup";
import { putImage } from "../services/image-put";
import { imageJson } from "./image-responses";

/** HEAD / GET / PUT / DELETE /v1/images/{id}. */
export function imageItemRoutes() {
	const app = new Hono<AppEnv>();

	// Hono routes HEAD through the GET handler (and drops the body); the method tells them apart.
	app.get("/images/:id", async (c) => {
		const { image } = await findVisibleImage(c.var.images, c.var.identity, c.req.param("id"));
		const headers = imageMetaHeaders(publicImage(image));
		if (c.req.method === "HEAD") {
			// Not JSON: glanceclient would try to parse the empty body.
			headers.set("Content-Type", "text/plain; charset=UTF-8");
			return new Response(null, { status: 200, headers });
		}
		const size = image.size ?? 0;
		const range = parseRange(
			c.req.header("range") ?? null,
			size,
			c.req.header("if-range") ?? null,
			image.checksum,
		);
		if (range === "unsatisfiable" && image.status === "active") {
			throw new ApiError(
				416,
				`The requested range is not satisfiable for an image of ${size} bytes.`,
				{
					headers: { "Content-Range": `bytes */${size}` },
				},
			);
		}
		const part = range === "unsatisfiable" ? null : range;
		const blob = await openImageData(c.var.blobs, image, part ?? undefined);
		// glanceclient streams only an exact application/octet-stream body.
		headers.set("Content-Type", "application/octet-stream");
		headers.set("Accept-Ranges", "bytes");
		if (part) {
			headers.set("Content-Length", String(part.length));
			headers.set("Content-Range", `bytes ${part.offset}-${part.offset + part.length - 1}/${size}`);
			return new Response(blob.body, { status: 206, headers });
		}
		headers.set("Content-Length", String(size));
		return new Response(blob.body, { status: 200, headers });
	});
	app.put("/images/:id", async (c) => {
		const { meta, hasData } = await readImageRequest(c, false);
		const data = hasData ? imageDataOf(c.req.raw) : null;
		if (hasData && !data) throw invalid(MESSAGES.disconnected);
		const purge = purgeRequested(c.req.header("x-glance-registry-purge-props"));
		return imageJson(c, await putImage(c.var, c.req.param("id"), { meta, purge, data }), 200);
	});

	app.delete("/images/:id", async (c) => {
		await deleteImage(c.var, c.req.param("id"));
		// 200 with an empty body, as Glance answered; not JSON, or glanceclient tries to parse it.
		return new Response(null, {
			status: 200,
			headers: { "Content-Type": "text/plain; charset=UTF-8" },
		});
	});

	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
	});

	return app;
}
