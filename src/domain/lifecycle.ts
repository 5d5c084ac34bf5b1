import type { ImageStatus } from "./image";

/**
 * One guarded move of an image's status. The repositories apply a transition by name: the SQL
 * guard is `status IN (from)`, so no status is spelled in a statement outside this table.
 */
export interface Transition {
	readonly from: readonly ImageStatus[];
	readonly to: ImageStatus;
	/** The upload's quota reservation ends here: it becomes the size, or is released. */
	readonly endsReservation: boolean;
	/** The image can take no more data: its upload session, if any, closes in the same batch. */
	readonly closesSession: boolean;
}

const DELETABLE: readonly ImageStatus[] = ["queued", "saving", "active", "killed", "deactivated"];

/** Glance's image state machine, as far as this service drives it. */
export const LIFECYCLE = {
	/**
	 * A single-request upload: queued → saving, reserving the body's length in the same statement.
	 * Refused while an upload session is open: the session owns the image's data.
	 */
	startUpload: { from: ["queued"], to: "saving", endsReservation: false, closesSession: false },
	/** An upload session reserves the image's size while the image stays queued. */
	openSession: { from: ["queued"], to: "queued", endsReservation: false, closesSession: false },
	/** Every part is stored: the image is saving while the background verifier checks it. */
	completeSession: { from: ["queued"], to: "saving", endsReservation: false, closesSession: false },
	/** The bytes are verified: the reservation becomes the size. */
	finishUpload: { from: ["saving"], to: "active", endsReservation: true, closesSession: true },
	/** An upload failed (Glance's safe_kill): its bytes are removed by whoever applied this. */
	kill: { from: ["queued", "saving"], to: "killed", endsReservation: true, closesSession: true },
	/**
	 * Glance v2: a failed upload puts the image back to queued (its `_restore`), ready for
	 * another try; v1 kills it instead. The bytes are removed before, while the upload owns them.
	 */
	restore: { from: ["saving"], to: "queued", endsReservation: true, closesSession: true },
	/** The sweeper gives up on an upload session past its deadline, or a stalled upload. */
	expire: { from: ["queued", "saving"], to: "killed", endsReservation: true, closesSession: true },
	/** The row becomes a tombstone (never reused); its bytes are removed after. */
	delete: { from: DELETABLE, to: "deleted", endsReservation: true, closesSession: true },
	/** Glance v2: an admin takes an image out of service; its bytes stay. */
	deactivate: { from: ["active"], to: "deactivated", endsReservation: false, closesSession: false },
	reactivate: { from: ["deactivated"], to: "active", endsReservation: false, closesSession: false },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof LIFECYCLE;

/** Statuses in which an image may hold a quota reservation or an upload session. */
export const TAKING_DATA: readonly ImageStatus[] = ["queued", "saving"];
/** Statuses whose image's bytes count against its owner's storage. */
export const HOLDING_BYTES: readonly ImageStatus[] = ["active", "deactivated"];
/** Statuses whose object, if one is left, is garbage. */
export const DEAD: readonly ImageStatus[] = ["killed", "deleted"];

export const isDead = (status: ImageStatus) => DEAD.includes(status);
export const takesData = (status: ImageStatus) => TAKING_DATA.includes(status);

/** Whether the named transition may start from `status`. */
export function allows(name: TransitionName, status: ImageStatus): boolean {
	return (LIFECYCLE[name].from as readonly ImageStatus[]).includes(status);
}
