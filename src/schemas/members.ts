import * as v from "valibot";
import { pythonTruthy } from "../domain/glance-rules";
import { wellFormed } from "./image-meta";

const memberId = v.pipe(
	v.string("member_id must be a string"),
	wellFormed("member_id"),
	v.trim(),
	v.minLength(1, "member_id must not be empty"),
	v.maxLength(255, "member_id must be at most 255 characters"),
);

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
