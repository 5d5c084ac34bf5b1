import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { methodNotAllowed } from "../../http/errors";
import { refuseBody } from "../../http/v2/image-request";
import { imageSchema, imagesSchema, memberSchema, membersSchema } from "../../http/v2/schemas";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import { v2Json } from "./images";

/** `GET /v2/schemas/{image,images,member,members}` (glance-v2-contract §2.13). */
export function v2SchemaRoutes() {
	const app = new Hono<AppEnv>();
	const documents = {
		image: imageSchema,
		images: imagesSchema,
		member: memberSchema,
		members: membersSchema,
	} as const;
	for (const [name, document] of Object.entries(documents)) {
		app.get(`/schemas/${name}`, describe(V2_DOCS.schema(name)), (c) => {
			refuseBody(c.req.raw);
			return v2Json(document(c.var.config));
		});
		app.all(`/schemas/${name}`, () => {
			throw methodNotAllowed(["GET"]);
		});
	}
	return app;
}
