import { type Context, Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { IMPORT_METHODS, MAX_TAG_LENGTH, MESSAGES, V2_MESSAGES } from "../../domain/glance-rules";
import type { StoredImage } from "../../domain/image";
import { invalid, notFound } from "../../domain/refusal";
import { methodNotAllowed } from "../../http/errors";
import { readCreateBody, refuseBody } from "../../http/v2/image-request";
import { v2Image } from "../../http/v2/image-view";
import { readPatch } from "../../http/v2/json-patch";
import { listLinks, parseV2ListQuery } from "../../http/v2/list-query";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import { applyImageAction } from "../../services/image-actions";
import { createImageV2 } from "../../services/image-create";
import { deleteImage } from "../../services/image-delete";
import { findVisibleImage } from "../../services/image-lookup";
import { patchImage } from "../../services/image-patch";
import { addTag, removeTag } from "../../services/image-tags";

/** A JSON success body, `application/json` without charset as Glance sends it. */
export function v2Json(body: unknown, status: 200 | 201 = 200, headers: HeadersInit = {}) {
	const all = new Headers(headers);
	all.set("Content-Type", "application/json");
	return new Response(JSON.stringify(body), { status, headers: all });
}

/** An empty success (204): never claiming JSON, or glanceclient would try to decode it. */
export const noContent = () =>
	new Response(null, { status: 204, headers: { "Content-Type": "text/html; charset=UTF-8" } });

const base = (c: Context<AppEnv>) => c.var.config.publicEndpoint ?? new URL(c.req.url).origin;

/** A tag from its path segment (percent-decoded by the router); over 255 characters → 400. */
function tagOf(c: Context<AppEnv>): string {
	const tag = c.req.param("tag") ?? "";
	if ([...tag].length > MAX_TAG_LENGTH) throw invalid(V2_MESSAGES.tagTooLong);
	return tag;
}

/** Image API v2: the image collection, one image, its tags and actions. */
export function v2ImageRoutes() {
	const app = new Hono<AppEnv>();
	const formats = (c: Context<AppEnv>) => c.var.config;

	app.get("/images", describe(V2_DOCS.list), async (c) => {
		const params = new URL(c.req.url).searchParams;
		const query = parseV2ListQuery(params);
		const images: StoredImage[] = await c.var.images.listV2(query, c.var.identity);
		const last = images.at(-1)?.id ?? null;
		return v2Json({
			images: images.map(v2Image),
			...listLinks(params, last, images.length === query.limit),
			schema: "/v2/schemas/images",
		});
	});
	app.post("/images", describe(V2_DOCS.create), async (c) => {
		const meta = await readCreateBody(c.req.raw, formats(c));
		const image = await createImageV2(c.var, meta);
		// The SDK (and so `openstack image create --import`) reads the import methods from here.
		return v2Json(v2Image(image), 201, {
			Location: `${base(c)}/v2/images/${image.id}`,
			"OpenStack-image-import-methods": IMPORT_METHODS.join(","),
		});
	});
	app.all("/images", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	app.get("/images/:id", describe(V2_DOCS.show), async (c) => {
		refuseBody(c.req.raw);
		const { image } = await findVisibleImage(c.var.images, c.var.identity, c.req.param("id"));
		// Deleted images are gone for admins too in v2.
		if (image.deleted) throw notFound(MESSAGES.imageGone(image.id));
		return v2Json(v2Image(image));
	});
	app.patch("/images/:id", describe(V2_DOCS.update), async (c) => {
		const operations = await readPatch(c.req.raw, formats(c));
		return v2Json(v2Image(await patchImage(c.var, c.req.param("id"), operations)));
	});
	app.delete("/images/:id", describe(V2_DOCS.delete), async (c) => {
		refuseBody(c.req.raw);
		await deleteImage(c.var, c.req.param("id"), { v2: true });
		return noContent();
	});
	app.all("/images/:id", () => {
		throw methodNotAllowed(["GET", "PATCH", "DELETE"]);
	});

	app.put("/images/:id/tags/:tag", describe(V2_DOCS.addTag), async (c) => {
		const tag = tagOf(c);
		refuseBody(c.req.raw);
		await addTag(c.var, c.req.param("id"), tag);
		return noContent();
	});
	app.delete("/images/:id/tags/:tag", describe(V2_DOCS.removeTag), async (c) => {
		const tag = tagOf(c);
		refuseBody(c.req.raw);
		await removeTag(c.var, c.req.param("id"), tag);
		return noContent();
	});
	app.all("/images/:id/tags/:tag", () => {
		throw methodNotAllowed(["PUT", "DELETE"]);
	});

	for (const action of ["deactivate", "reactivate"] as const) {
		app.post(`/images/:id/actions/${action}`, describe(V2_DOCS[action]), async (c) => {
			refuseBody(c.req.raw);
			await applyImageAction(c.var, c.req.param("id"), action);
			return noContent();
		});
		app.all(`/images/:id/actions/${action}`, () => {
			throw methodNotAllowed(["POST"]);
		});
	}
	return app;
}
