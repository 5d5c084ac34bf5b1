import { invalid } from "../../domain/refusal";
import { SHARING_MESSAGES } from "../../domain/sharing";
import type { Member } from "../../metadata/member-repository";
import { memberFromPath } from "../../schemas/members";
import { MAX_JSON_BODY, readOptionalJsonBody } from "./body";
import { v2Timestamp } from "./image-view";

/** A membership as Glance v2 shows it (glance-v2-contract §2.12): exactly these keys. */
export function v2Member(member: Member) {
	return {
		member_id: member.member_id,
		image_id: member.image_id,
		status: member.status,
		created_at: v2Timestamp(member.created_at),
		updated_at: v2Timestamp(member.updated_at),
		schema: "/v2/schemas/member",
	};
}

export const v2Members = (members: Member[]) => ({
	members: members.map(v2Member),
	schema: "/v2/schemas/members",
});

/** The JSON object a member request needs, with Glance's messages when it is not there. */
async function memberRequestBody(request: Request): Promise<Record<string, unknown>> {
	const body = await readOptionalJsonBody(request, MAX_JSON_BODY);
	if (body === undefined) throw invalid("Body expected in request.");
	if (typeof body !== "object" || body === null) {
		throw invalid("Unexpected body type. Expected list/dict.");
	}
	return body as Record<string, unknown>;
}

/**
 * `POST …/members` body `{"member": "<project id>"}`: the project id, checked like every member
 * id (a string of at most 255 characters, valid Unicode). Read before the image is looked up.
 */
export async function readNewMember(request: Request): Promise<string> {
	const body = await memberRequestBody(request);
	if (Array.isArray(body) || !("member" in body)) {
		throw invalid(SHARING_MESSAGES.memberNotSpecified, "member");
	}
	const member = body.member;
	if (member === "" || member === null || member === false || member === 0) {
		throw invalid(SHARING_MESSAGES.memberEmpty, "member");
	}
	if (typeof member !== "string") throw invalid("member must be a string", "member");
	return memberFromPath(member);
}

/** `PUT …/members/{member}` body `{"status": …}`; the value is checked by the service. */
export async function readMemberStatus(request: Request): Promise<unknown> {
	const body = await memberRequestBody(request);
	if (Array.isArray(body) || !("status" in body)) {
		throw invalid(SHARING_MESSAGES.statusNotSpecified, "status");
	}
	return body.status;
}
