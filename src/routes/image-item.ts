import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MESSAGES } from "../domain/glance-rules";
import { publicImage } from "../domain/image";
import { invalid, notFound } from "../domain/refusal";
import { parseRange } from "../http/byte-range";
import { ApiError, methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { imageMetaHeaders, purgeRequested } from "../http/image-headers";
import { jsonUpdatePurges, readImageRequest } from "../http/image-request";
import { wantsImageRecord } from "../http/negotiation";
import { deleteImage } from "../services/image-delete";
import { openImageData } from "../services/image-download";
import { findVisibleImage } from "../services/image-lookup";
import { putImage } from "../services/image-put";
import { imageJson } from "./image-responses";

/** HEAD / GET / PUT / DELETE /v1/images/{id}. */
export function imageItemRoutes() {
	const app = new Hono<AppEnv>();

	// Hono routes HEAD through the GET handler (and drops the body); the method tells them apart.
	// /file is Glance v2's download path, which openstacksdk's v1 `download_image` uses too.
	app.on("GET", ["/images/:id", "/images/:id/file"], async (c) => {
		const { image } = await findVisibleImage(c.var.images, c.var.identity, c.req.param("id"));
		const alias = c.req.path.endsWith("/file");
		if (!alias && c.req.method === "GET" && wantsImageRecord(c.req.raw.headers)) {
			// As the data GET: a deleted image is gone for everyone (only admins' HEAD shows it).
			if (image.deleted) throw notFound(MESSAGES.imageNotFound(image.id));
			c.header("Vary", "Accept, User-Agent");
			return imageJson(c, image, 200);
		}
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
		// Glance v2 sent the hex MD5 as Content-MD5; openstacksdk verifies the download against it.
		if (alias && image.checksum) headers.set("Content-MD5", image.checksum);
		if (!alias) headers.set("Vary", "Accept, User-Agent");
		return new Response(blob.body, { status: 200, headers });
	});
	app.put("/images/:id", async (c) => {
		const request = await readImageRequest(c, true);
		const { meta, hasData } = request;
		const data = hasData ? imageDataOf(c.req.raw) : null;
		if (hasData && !data) throw invalid(MESSAGES.disconnected);
		const header = c.req.header("x-glance-registry-purge-props");
		const purge =
			request.form === "json" ? jsonUpdatePurges(request, header) : purgeRequested(header);
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

	app.all("/images/:id/file", () => {
		throw methodNotAllowed(["GET", "HEAD"]);
	});
	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "HEAD", "PUT", "DELETE"]);
	});

	return app;
}
