import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { MESSAGES, V2_MESSAGES } from "../../domain/glance-rules";
import { forbidden, notFound } from "../../domain/refusal";
import { ApiError, methodNotAllowed } from "../../http/errors";
import { imageDataOf } from "../../http/image-data";
import { mediaType } from "../../http/json-body";
import { refuseBody } from "../../http/v2/image-request";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import { openImageData } from "../../services/image-download";
import { findVisibleImage } from "../../services/image-lookup";
import { emptyData, uploadImageData } from "../../services/image-upload";
import { noContent } from "./images";

const RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * A download's Range (glance-v2-contract §2.7): `a-b`, `a-`, `-n`; the end is clamped; a comma
 * is 400; start beyond the image or a reversed range is 416. Null: the whole image.
 */
function rangeOf(header: string | null, size: number): { offset: number; length: number } | null {
	if (header === null) return null;
	const value = header.trim();
	if (value.includes(",")) throw new ApiError(400, "Multiple ranges are not supported.");
	const unsatisfiable = () =>
		new ApiError(416, "Invalid Range header.", { headers: { "Content-Range": `bytes */${size}` } });
	const m = RANGE.exec(value);
	if (!m || (m[1] === "" && m[2] === "")) throw unsatisfiable();
	if (m[1] === "") {
		const n = Number(m[2]);
		if (n === 0) throw unsatisfiable();
		const length = Math.min(n, size);
		return { offset: size - length, length };
	}
	const start = Number(m[1]);
	const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
	if (start >= size || (m[2] !== "" && Number(m[2]) < start)) throw unsatisfiable();
	return { offset: start, length: end - start + 1 };
}

/** Image API v2 data: PUT and GET /v2/images/{id}/file. */
export function v2ImageDataRoutes() {
	const app = new Hono<AppEnv>();

	app.put("/images/:id/file", describe(V2_DOCS.upload), async (c) => {
		if (mediaType(c.req.header("content-type")) !== "application/octet-stream") {
			throw new ApiError(
				415,
				`Content-Type must be application/octet-stream, not '${c.req.header("content-type") ?? ""}'.`,
			);
		}
		// Chunked bodies have no length; an empty one (Nova's volume-backed snapshot) is 0 bytes.
		const data = imageDataOf(c.req.raw) ?? emptyData();
		await uploadImageData(c.var, c.req.param("id"), data);
		return noContent();
	});

	app.get("/images/:id/file", describe(V2_DOCS.download), async (c) => {
		refuseBody(c.req.raw);
		const { identity } = c.var;
		const { image } = await findVisibleImage(c.var.images, identity, c.req.param("id"));
		if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
		if (image.status === "deactivated" && !identity.isAdmin) {
			throw forbidden(V2_MESSAGES.deactivatedDownload);
		}
		if (image.status !== "active" && image.status !== "deactivated") return noContent();
		const size = image.size ?? 0;
		const part = rangeOf(c.req.header("range") ?? null, size);
		const blob = await openImageData(c.var.blobs, image, part ?? undefined, {
			readDeactivated: true,
		});
		const headers = new Headers({ "Content-Type": "application/octet-stream" });
		// Hex, not RFC 1864's base64: what Glance sends and glanceclient/openstacksdk compare.
		if (image.checksum) headers.set("Content-MD5", image.checksum);
		if (part) {
			headers.set("Content-Length", String(part.length));
			headers.set("Content-Range", `bytes ${part.offset}-${part.offset + part.length - 1}/${size}`);
			return new Response(blob.body, { status: 206, headers });
		}
		headers.set("Content-Length", String(size));
		return new Response(blob.body, { status: 200, headers });
	});
	app.all("/images/:id/file", () => {
		throw methodNotAllowed(["GET", "PUT"]);
	});
	return app;
}
