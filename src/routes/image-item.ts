import { Hono } from "hono";
import { publicImage } from "../domain/image";
import type { AppEnv } from "../env";
import { ApiError, methodNotAllowed } from "../errors";
import { parseRange } from "../http/byte-range";
import { imageMetaHeaders } from "../http/image-headers";
import { openImageData } from "../services/image-download";
import { findVisibleImage } from "../services/image-lookup";

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
	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
	});

	return app;
}
