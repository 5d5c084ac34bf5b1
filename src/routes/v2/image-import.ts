import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { invalid } from "../../domain/refusal";
import { ApiError, methodNotAllowed } from "../../http/errors";
import { imageDataOf } from "../../http/image-data";
import { mediaType } from "../../http/json-body";
import { MAX_JSON_BODY, readOptionalJsonBody } from "../../http/v2/body";
import { refuseBody } from "../../http/v2/image-request";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import {
	imageTasks,
	importImage,
	parseImportRequest,
	stageImageData,
} from "../../services/image-import";
import { emptyData } from "../../services/image-upload";
import { noContent, v2Json } from "./images";

/** An empty 202: like 204, never claiming JSON (glanceclient would try to decode it). */
const accepted = () =>
	new Response(null, { status: 202, headers: { "Content-Type": "text/html; charset=UTF-8" } });

/** Glance v2's interoperable import (glance-direct): stage, import, and the image's tasks. */
export function v2ImageImportRoutes() {
	const app = new Hono<AppEnv>();

	app.put("/images/:id/stage", describe(V2_DOCS.stage), async (c) => {
		if (mediaType(c.req.header("content-type")) !== "application/octet-stream") {
			throw new ApiError(
				415,
				`Content-Type must be application/octet-stream, not '${c.req.header("content-type") ?? ""}'.`,
			);
		}
		const data = imageDataOf(c.req.raw) ?? emptyData();
		await stageImageData(c.var, c.req.param("id"), data);
		return noContent();
	});
	app.all("/images/:id/stage", () => {
		throw methodNotAllowed(["PUT"]);
	});

	app.post("/images/:id/import", describe(V2_DOCS.import), async (c) => {
		const body = await readOptionalJsonBody(c.req.raw, MAX_JSON_BODY);
		if (body === undefined) throw invalid("Body expected in request.");
		await importImage(c.var, c.req.param("id"), parseImportRequest(body));
		return accepted();
	});
	app.all("/images/:id/import", () => {
		throw methodNotAllowed(["POST"]);
	});

	// Glance routes no other method here (they answer 404).
	app.get("/images/:id/tasks", describe(V2_DOCS.tasks), async (c) => {
		refuseBody(c.req.raw);
		return v2Json({ tasks: await imageTasks(c.var, c.req.param("id")) });
	});
	return app;
}
