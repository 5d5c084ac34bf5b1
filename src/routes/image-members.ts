import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES, MEMBER_MESSAGES } from "../domain/glance-rules";
import { ApiError, methodNotAllowed } from "../http/errors";
import { readOptionalJsonBody } from "../http/json-body";
import { validJson } from "../http/validate";
import {
	errors,
	IMAGE_ID_PARAMETER,
	jsonContent,
	MEMBER_PARAMETER,
	requestIdHeader,
} from "../openapi/components";
import { describe } from "../openapi/describe";
import {
	canShareFrom,
	memberFromPath,
	ReplaceMembersSchema,
	refuseMemberships,
} from "../schemas/members";
import { addMember, listMembers, removeMember, replaceMembers } from "../services/image-members";

const noContent = () => new Response(null, { status: 204 });

const NO_CONTENT = { "204": { description: "Done (no body).", headers: requestIdHeader } };

/** Request-body examples; the API tests send each one and expect a 2xx. */
const REPLACE_MEMBERS_EXAMPLES = {
	replace: {
		summary: "Share with two tenants, one of which may share further",
		value: {
			memberships: [
				{ member_id: "tenant-b", can_share: false },
				{ member_id: "tenant-c", can_share: true },
			],
		},
	},
};

const ADD_MEMBER_EXAMPLES = {
	canShare: {
		summary: "Let the member share the image on",
		value: { member: { can_share: true } },
	},
};

const listMembersDoc = describe({
	operationId: "listMembers",
	summary: "List an image's members",
	description:
		"Admins and the owner see every member; a member sees only itself; anyone else an empty list.",
	tags: ["members"],
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"200": {
			description: "The members.",
			headers: requestIdHeader,
			content: jsonContent("MemberList"),
		},
		...errors(401, 404),
	},
});

const replaceMembersDoc = describe({
	operationId: "replaceMembers",
	summary: "Replace an image's members",
	description:
		"Members not in the list are removed; a listed member without `can_share` keeps its current setting. Owner, admin, or a member with can_share only (404 for anyone else).",
	tags: ["members"],
	parameters: [IMAGE_ID_PARAMETER],
	requestBody: {
		required: true,
		content: jsonContent("ReplaceMembers", { examples: REPLACE_MEMBERS_EXAMPLES }),
	},
	responses: { ...NO_CONTENT, ...errors(400, 401, 404, 413) },
});

const getMemberDoc = describe({
	operationId: "getMember",
	summary: "Not supported by the v1 API (always 405)",
	tags: ["members"],
	parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
	responses: errors(405),
});

const addMemberDoc = describe({
	operationId: "addMember",
	summary: "Share an image with a tenant",
	description:
		'The body is optional: `{"member": {"can_share": true}}` sets can_share; without it a new member cannot share and an existing one keeps its setting.',
	tags: ["members"],
	parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
	requestBody: {
		required: false,
		content: {
			"application/json": {
				schema: {
					type: "object",
					properties: {
						member: { type: "object", properties: { can_share: { type: "boolean" } } },
					},
				},
				examples: ADD_MEMBER_EXAMPLES,
			},
		},
	},
	responses: { ...NO_CONTENT, ...errors(400, 401, 404, 413) },
});

const removeMemberDoc = describe({
	operationId: "removeMember",
	summary: "Stop sharing an image with a tenant",
	tags: ["members"],
	parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
	responses: { ...NO_CONTENT, ...errors(401, 404) },
});

const listSharedImagesDoc = describe({
	operationId: "listSharedImages",
	summary: "Images shared with a tenant",
	description: "Glance routes every method here; GET is the one to use.",
	tags: ["members"],
	parameters: [MEMBER_PARAMETER],
	responses: {
		"200": {
			description: "The images shared with the tenant.",
			headers: requestIdHeader,
			content: jsonContent("SharedImages"),
		},
		...errors(401),
	},
});

/** Image sharing (contract §5.7, §5.8). */
export function imageMemberRoutes() {
	const app = new Hono<AppEnv>();

	app.get("/images/:id/members", listMembersDoc, async (c) => {
		const members = await listMembers(c.var, c.req.param("id"));
		// The v1 view of a membership has no status (glance-v2-contract §10).
		return c.json({
			members: members.map((m) => ({ member_id: m.member_id, can_share: m.can_share })),
		});
	});
	app.put(
		"/images/:id/members",
		replaceMembersDoc,
		validJson(ReplaceMembersSchema, refuseMemberships),
		async (c) => {
			const { memberships } = c.req.valid("json");
			await replaceMembers(c.var, c.req.param("id"), memberships);
			return noContent();
		},
	);
	app.all("/images/:id/members", () => {
		throw methodNotAllowed(["GET", "PUT"]);
	});

	// v1 has no single-membership read: 405 without an Allow header, as Glance answered.
	app.get("/images/:id/members/:member", getMemberDoc, () => {
		throw new ApiError(405, MEMBER_MESSAGES.singleMemberRead);
	});
	app.put("/images/:id/members/:member", addMemberDoc, async (c) => {
		const canShare = canShareFrom(await readOptionalJsonBody(c.req.raw, MAX_JSON_BODY_BYTES));
		const member = memberFromPath(c.req.param("member"));
		await addMember(c.var, c.req.param("id"), member, canShare);
		return noContent();
	});
	app.delete("/images/:id/members/:member", removeMemberDoc, async (c) => {
		await removeMember(c.var, c.req.param("id"), memberFromPath(c.req.param("member")));
		return noContent();
	});
	app.all("/images/:id/members/:member", () => {
		throw methodNotAllowed(["GET", "PUT", "DELETE"]);
	});

	// Glance routed every method here (contract §5.8).
	app.all("/shared-images/:member", listSharedImagesDoc, async (c) => {
		const member = memberFromPath(c.req.param("member"));
		const shared = await c.var.members.sharedWith(member, c.var.identity);
		return c.json({ shared_images: shared });
	});

	return app;
}
