import * as v from "valibot";
import { MAX_MEMBER_ID_LENGTH, MEMBER_MESSAGES, pythonTruthy } from "../domain/glance-rules";
import { invalid } from "../domain/refusal";
import type { IssueRefusal } from "../http/validate";
import { wellFormed } from "./image-meta";

/** A member id, wherever it is sent: the replace body's member_id or a route's {member}. */
export const memberIdSchema = (field: string) =>
	v.pipe(
		v.string(`${field} must be a string`),
		wellFormed(field),
		v.trim(),
		v.minLength(1, `${field} must not be empty`),
		v.maxLength(
			MAX_MEMBER_ID_LENGTH,
			`${field} must be at most ${MAX_MEMBER_ID_LENGTH} characters`,
		),
	);

const memberId = memberIdSchema("member_id");
const pathMember = memberIdSchema("member");

/** A route's {member}, checked like member_id; returned as sent, as it was stored before. */
export function memberFromPath(raw: string): string {
	const parsed = v.safeParse(pathMember, raw);
	if (!parsed.success) throw invalid(parsed.issues[0].message, "member");
	return raw;
}

/** can_share as Glance read it: Python truthiness of whatever JSON value was sent. */
const canShare = v.optional(v.pipe(v.unknown(), v.transform(pythonTruthy)));

/** `PUT /v1/images/{id}/members` body: `{"memberships": [{"member_id", "can_share"?}, ...]}`. */
export const ReplaceMembersSchema = v.object(
	{
		memberships: v.array(
			v.object(
				{ member_id: memberId, can_share: canShare },
				"each membership must be an object with a member_id",
			),
			"memberships must be a list",
		),
	},
	"the body must be an object with a memberships list",
);

/** Glance's one message for a bad memberships body, with the issue and its path inside it. */
export const refuseMemberships: IssueRefusal = (issue) => {
	const field = v.getDotPath(issue) ?? "memberships";
	return invalid(MEMBER_MESSAGES.invalidMemberships(`${field}: ${issue.message}`), field);
};

/**
 * `PUT /v1/images/{id}/members/{member}` body. The v1 API looked only at `member.can_share`;
 * any other shape counts as no body (contract §5.7).
 */
export function canShareFrom(body: unknown): boolean | undefined {
	if (typeof body !== "object" || body === null || !("member" in body)) return undefined;
	const member = body.member;
	if (typeof member !== "object" || member === null || !("can_share" in member)) return undefined;
	return pythonTruthy(member.can_share);
}
