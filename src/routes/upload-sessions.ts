import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { invalid } from "../domain/refusal";
import { methodNotAllowed } from "../http/errors";
import { imageDataOf } from "../http/image-data";
import { mediaType } from "../http/json-body";
import { validJson } from "../http/validate";
import { OpenSessionSchema } from "../schemas/upload-session";
import {
	abortSession,
	completeSession,
	openSession,
	readSession,
	uploadPart,
} from "../services/upload-sessions";
import { imageJson } from "./image-responses";

/**
 * The upload-session extension (not part of Glance v1): an image larger than one request body
 * is sent as numbered parts, in any order and in parallel, then verified in the background.
 */
export function uploadSessionRoutes() {
	const app = new Hono<AppEnv>();
	const base = "/images/:id/upload-session";

	app.post(base, validJson(OpenSessionSchema), async (c) => {
		const session = await openSession(c.var, c.req.param("id"), c.req.valid("json"));
		return c.json({ session }, 201);
	});
	app.get(base, async (c) => c.json({ session: await readSession(c.var, c.req.param("id")) }));
	app.delete(base, async (c) => {
		await abortSession(c.var, c.req.param("id"));
		return new Response(null, { status: 204 });
	});
	app.all(base, () => {
		throw methodNotAllowed(["GET", "POST", "DELETE"]);
	});

	app.put(`${base}/parts/:n`, async (c) => {
		if (mediaType(c.req.header("content-type")) !== "application/octet-stream") {
			throw invalid("Content-Type must be application/octet-stream", "Content-Type");
		}
		const n = Number(c.req.param("n"));
		const part = await uploadPart(c.var, c.req.param("id"), n, imageDataOf(c.req.raw));
		return c.json({ part });
	});
	app.all(`${base}/parts/:n`, () => {
		throw methodNotAllowed(["PUT"]);
	});

	app.post(`${base}/complete`, async (c) =>
		imageJson(c, await completeSession(c.var, c.req.param("id")), 202),
	);
	app.all(`${base}/complete`, () => {
		throw methodNotAllowed(["POST"]);
	});

	return app;
}
