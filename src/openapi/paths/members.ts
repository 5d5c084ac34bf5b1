import {
	errors,
	IMAGE_ID_PARAMETER,
	jsonContent,
	MEMBER_PARAMETER,
	requestIdHeader,
} from "../components";
import type { Operation } from "../types";

const NO_CONTENT = { "204": { description: "Done (no body).", headers: requestIdHeader } };

/** Request-body examples; the API tests send each one and expect a 2xx. */
export const REPLACE_MEMBERS_EXAMPLES = {
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

export const ADD_MEMBER_EXAMPLES = {
	canShare: {
		summary: "Let the member share the image on",
		value: { member: { can_share: true } },
	},
};

/** Image sharing (Glance v1 members). */
export const MEMBER_OPERATIONS: Operation[] = [
	{
		method: "get",
		path: "/v1/images/{id}/members",
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
	},
	{
		method: "put",
		path: "/v1/images/{id}/members",
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
	},
	{
		method: "get",
		path: "/v1/images/{id}/members/{member}",
		operationId: "getMember",
		summary: "Not supported by the v1 API (always 405)",
		tags: ["members"],
		parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
		responses: errors(405),
	},
	{
		method: "put",
		path: "/v1/images/{id}/members/{member}",
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
	},
	{
		method: "delete",
		path: "/v1/images/{id}/members/{member}",
		operationId: "removeMember",
		summary: "Stop sharing an image with a tenant",
		tags: ["members"],
		parameters: [IMAGE_ID_PARAMETER, MEMBER_PARAMETER],
		responses: { ...NO_CONTENT, ...errors(401, 404) },
	},
	{
		method: "get",
		path: "/v1/shared-images/{member}",
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
	},
];
