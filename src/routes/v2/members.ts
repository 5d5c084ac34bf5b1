import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { forbidden } from "../../domain/refusal";
import { SHARING_MESSAGES } from "../../domain/sharing";
import { methodNotAllowed } from "../../http/errors";
import { refuseBody } from "../../http/v2/image-request";
import { readMemberStatus, readNewMember, v2Member, v2Members } from "../../http/v2/members";
import { describe } from "../../openapi/describe";
import { V2_DOCS } from "../../openapi/v2-docs";
import { memberFromPath } from "../../schemas/members";
import {
	addMemberV2,
	getMemberV2,
	listMembersV2,
	removeMemberV2,
	setMemberStatusV2,
} from "../../services/image-members";
import { noContent, v2Json } from "./images";

/** Image API v2 members (glance-v2-contract §2.12, §5.2): only shared images have them. */
export function v2MemberRoutes() {
	const app = new Hono<AppEnv>();
	const member = (raw: string | undefined) => memberFromPath(raw ?? "");

	app.get("/images/:id/members", describe(V2_DOCS.listMembers), async (c) => {
		refuseBody(c.req.raw);
		return v2Json(v2Members(await listMembersV2(c.var, c.req.param("id"))));
	});
	// 200, not 201: glanceclient, the SDK and Terraform expect what Glance answers.
	app.post("/images/:id/members", describe(V2_DOCS.addMember), async (c) => {
		const added = await addMemberV2(c.var, c.req.param("id"), await readNewMember(c.req.raw));
		return v2Json(v2Member(added));
	});
	app.all("/images/:id/members", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	app.get("/images/:id/members/:member", describe(V2_DOCS.getMember), async (c) => {
		refuseBody(c.req.raw);
		const found = await getMemberV2(c.var, c.req.param("id"), member(c.req.param("member")));
		return v2Json(v2Member(found));
	});
	app.put("/images/:id/members/:member", describe(V2_DOCS.updateMember), async (c) => {
		const who = member(c.req.param("member"));
		const status = await readMemberStatus(c.req.raw);
		return v2Json(v2Member(await setMemberStatusV2(c.var, c.req.param("id"), who, status)));
	});
	app.delete("/images/:id/members/:member", describe(V2_DOCS.removeMember), async (c) => {
		refuseBody(c.req.raw);
		await removeMemberV2(c.var, c.req.param("id"), member(c.req.param("member")));
		return noContent();
	});
	app.all("/images/:id/members/:member", () => {
		throw methodNotAllowed(["GET", "PUT", "DELETE"]);
	});

	// With token auth (no Keystone) the openstack CLI sends its identity lookups for `image
	// remove project` and `image set --accept --project` to this endpoint. Glance would answer
	// 404, which the CLI reports as an unknown project; on 403 it does what it does when Keystone
	// forbids a lookup: it takes the project as an id.
	for (const path of ["/projects", "/projects/:project"]) {
		app.get(path, describe(V2_DOCS.projectLookup), () => {
			throw forbidden(SHARING_MESSAGES.noProjectLookups);
		});
	}
	return app;
}
