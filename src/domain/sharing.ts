import type { Identity } from "./identity";
import type { StoredImage, Visibility } from "./image";
import { forbidden, invalid, notFound } from "./refusal";

/**
 * Glance v2's sharing rules as data (glance-v2-contract §5, §6.3), with Zed's default policy in
 * legacy mode: who may give an image each visibility, who sees it, and who may do what to its
 * memberships. The access checks (./access.ts), the services and the list query read them here.
 */

/** Who may give an image a visibility: `publicize_image` is admin-only, the rest the owner's. */
type Setter = "admin" | "owner";

export interface VisibilityRule {
	/** Who may set it, on create and on PATCH. */
	setBy: Setter;
	/** The policy rule Glance checks for it, named in its refusal. */
	policy?: string;
	/** Seen (shown, downloaded) by every caller, not only the owner, its members and admins. */
	seenByAll: boolean;
	/** In other projects' lists without asking for it (community images need `visibility=`). */
	listedToAll: boolean;
	/** Takes members; on the others, member rows stay but give no access and can't be managed. */
	hasMembers: boolean;
}

export const VISIBILITY_RULES: Record<Visibility, VisibilityRule> = {
	public: {
		setBy: "admin",
		policy: "publicize_image",
		seenByAll: true,
		listedToAll: true,
		hasMembers: false,
	},
	// `communitize_image` falls back to the open default in Zed's legacy policy mode.
	community: {
		setBy: "owner",
		policy: "communitize_image",
		seenByAll: true,
		listedToAll: false,
		hasMembers: false,
	},
	shared: { setBy: "owner", seenByAll: false, listedToAll: false, hasMembers: true },
	private: { setBy: "owner", seenByAll: false, listedToAll: false, hasMembers: false },
};

/** A membership's status; only the member changes it, any way and any number of times. */
export const MEMBER_STATUSES = ["pending", "accepted", "rejected"] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
/** Every membership starts pending: an image appears in a member's list once it accepts. */
export const NEW_MEMBER_STATUS: MemberStatus = "pending";

/** What a caller is to an image, as far as its memberships go. */
export type SharingRole = "admin" | "owner" | "member" | "other";

export type MemberAction = "add" | "remove" | "changeStatus";

/**
 * Who may do what to memberships (Glance v2's legacy checks): the owner adds and removes, the
 * member alone answers; admins may do everything. A refused caller who could see the image gets
 * 403; one who cannot see the membership it names gets 404 (decided where it is looked up).
 */
export const MEMBER_ACTIONS: Record<MemberAction, readonly SharingRole[]> = {
	add: ["admin", "owner"],
	remove: ["admin", "owner"],
	changeStatus: ["admin", "member", "other"],
};

export const SHARING_MESSAGES = {
	visibilityForbidden: (policy: string) => `You are not authorized to complete ${policy} action.`,
	onlyShared: (id: string) =>
		`Error fetching members of image ${id}: Only shared images have members.`,
	memberNotFound: (member: string, id: string) =>
		`${member} not found in the member list of the image ${id}.`,
	duplicate: (member: string, id: string) => `Member ${member} is duplicated for image ${id}`,
	quota: (id: string, attempted: number, max: number) =>
		`Image member limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: ${attempted}, Maximum: ${max}:`,
	forbidden: {
		add: (id: string) => `Not allowed to create members for image ${id}.`,
		remove: (id: string) => `Not allowed to delete members for image ${id}.`,
		changeStatus: (id: string) => `Not allowed to update members for image ${id}.`,
	} satisfies Record<MemberAction, (id: string) => string>,
	memberNotSpecified: "Member to be added not specified",
	memberEmpty: "Member can't be empty",
	statusNotSpecified: "Status not specified",
	badStatus: 'Incorrect request: Status must be "pending", "accepted" or "rejected".',
	// Ours: the openstack CLI on token auth asks the image endpoint to resolve project names.
	noProjectLookups:
		"This image service is not an identity service and resolves no project names: give the project's id (the openstack CLI then uses it as given).",
} as const;

/** Glance: who may give an image a visibility (v1's is_public=true is the same `public`). */
export function checkVisibilitySetter(visibility: Visibility, who: Identity): void {
	const rule = VISIBILITY_RULES[visibility];
	if (rule.setBy === "admin" && !who.isAdmin) {
		throw forbidden(SHARING_MESSAGES.visibilityForbidden(rule.policy ?? visibility), "visibility");
	}
}

/** What the caller is to the image. An owner-less image has no owner role: only admins manage it. */
export function sharingRole(
	image: StoredImage,
	who: Identity,
	callerIsMember: boolean,
): SharingRole {
	if (who.isAdmin) return "admin";
	if (who.tenant !== null && image.owner === who.tenant) return "owner";
	return callerIsMember ? "member" : "other";
}

/** Refuses (403) a membership action the caller's role does not allow. */
export function requireMemberAction(
	action: MemberAction,
	role: SharingRole,
	imageId: string,
): void {
	if (!MEMBER_ACTIONS[action].includes(role)) {
		throw forbidden(SHARING_MESSAGES.forbidden[action](imageId));
	}
}

/** Glance v2: members only on shared images; the others refuse with 403 (a member read: 404). */
export function requireMembersAllowed(image: StoredImage, asRead = false): void {
	if (VISIBILITY_RULES[image.visibility].hasMembers) return;
	const message = SHARING_MESSAGES.onlyShared(image.id);
	throw asRead ? notFound(message) : forbidden(message);
}

/** Which memberships a caller sees: admins and the owner all, anyone else only its own. */
export const seesAllMembers = (role: SharingRole) => role === "admin" || role === "owner";

/** A status as sent: one of the three, else Glance's 400. */
export function memberStatusOf(value: unknown): MemberStatus {
	if (!(MEMBER_STATUSES as readonly unknown[]).includes(value)) {
		throw invalid(SHARING_MESSAGES.badStatus, "status");
	}
	return value as MemberStatus;
}
