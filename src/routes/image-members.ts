import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES, MEMBER_MESSAGES } from "../domain/glance-rules";
import { ApiError, methodNotAllowed } from "../http/errors";
import { readOptionalJsonBody } from "../http/json-body";
import { validJson } from "../http/validate";
import {
	canShareFrom,
	memberFromPath,
	ReplaceMembersSchema,
	refuseMemberships,
} from "../schemas/members";
import { addMember, listMembers, removeMember, replaceMembers } from "../services/image-members";

const noContent = () => new Response(null, { status: 204 });

/** Image sharing (contract §5.7, §5.8). */
export function imageMemberRoutes() {
	const app = new Hono<AppEnv>();

	app.get("/images/:id/members", async (c) => {
		const members = await listMembers(c.var, c.req.param("id"));
		return c.json({ members });
	});
	app.put("/images/:id/members", validJson(ReplaceMembersSchema, refuseMemberships), async (c) => {
		const { memberships } = c.req.valid("json");
		await replaceMembers(c.var, c.req.param("id"), memberships);
		return noContent();
	});
	app.all("/images/:id/members", () => {
		throw methodNotAllowed(["GET", "PUT"]);
	});

	// v1 has no single-membership read: 405 without an Allow header, as Glance answered.
	app.get("/images/:id/members/:member", () => {
		throw new ApiError(405, MEMBER_MESSAGES.singleMemberRead);
	});
	app.put("/images/:id/members/:member", async (c) => {
		const canShare = canShareFrom(await readOptionalJsonBody(c.req.raw, MAX_JSON_BODY_BYTES));
		const member = memberFromPath(c.req.param("member"));
		await addMember(c.var, c.req.param("id"), member, canShare);
		return noContent();
	});
	app.delete("/images/:id/members/:member", async (c) => {
		await removeMember(c.var, c.req.param("id"), memberFromPath(c.req.param("member")));
		return noContent();
	});
	app.all("/images/:id/members/:member", () => {
		throw methodNotAllowed(["GET", "PUT", "DELETE"]);
	});

	// Glance routed every method here (contract §5.8).
	app.all("/shared-images/:member", async (c) => {
		const member = memberFromPath(c.req.param("member"));
		const shared = await c.var.members.sharedWith(member, c.var.identity);
		return c.json({ shared_images: shared });
	});

	return app;
}
