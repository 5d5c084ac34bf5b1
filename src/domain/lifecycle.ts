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

const DELETABLE: readonly ImageStatus[] = [
	"queued",
	"saving",
	"active",
	"killed",
	"deactivated",
	"uploading",
	"importing",
];

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
	/**
	 * Glance v2's stage (`PUT …/stage`, or a staging session opened): queued → uploading, with
	 * the bytes the stage will hold reserved. The size stays null until the data is all there.
	 */
	stage: { from: ["queued"], to: "uploading", endsReservation: false, closesSession: false },
	/**
	 * Every part of a staging session is stored: the session takes no more parts and the attempt
	 * starts again (the time left for the import counts from here). The image has no size until
	 * the store has assembled the parts (`staged`), so it cannot be imported before.
	 */
	completeStaging: {
		from: ["uploading"],
		to: "uploading",
		endsReservation: false,
		closesSession: false,
	},
	/** Every staged byte is stored: the image keeps uploading, now with its size (Glance's). */
	staged: { from: ["uploading"], to: "uploading", endsReservation: false, closesSession: false },
	/**
	 * Glance v2's glance-direct import of staged data: the background verifier checks it with
	 * the same digests and content inspection as every upload. The repository also requires the
	 * staging to be complete.
	 */
	import: { from: ["uploading"], to: "importing", endsReservation: false, closesSession: false },
	/** The imported bytes are verified: the reservation becomes the size. */
	finishImport: { from: ["importing"], to: "active", endsReservation: true, closesSession: true },
	/**
	 * Staging or importing failed (or was given up on): back to queued with the reason, as
	 * Glance's import reverts; the attempt's bytes are removed by whoever applied this.
	 */
	unstage: {
		from: ["uploading", "importing"],
		to: "queued",
		endsReservation: true,
		closesSession: true,
	},
	/** The row becomes a tombstone (never reused); its bytes are removed after. */
	delete: { from: DELETABLE, to: "deleted", endsReservation: true, closesSession: true },
	/** Glance v2: an admin takes an image out of service; its bytes stay. */
	deactivate: { from: ["active"], to: "deactivated", endsReservation: false, closesSession: false },
	reactivate: { from: ["deactivated"], to: "active", endsReservation: false, closesSession: false },
} as const satisfies Record<string, Transition>;

export type TransitionName = keyof typeof LIFECYCLE;

/**
 * What an upload session fills, as the transitions that open and complete it: a v1 upload (the
 * image stays queued while the parts arrive, then is saving while the verifier checks them) or a
 * Glance v2 stage in parts (uploading from the opening until `POST …/import`). While a session
 * takes parts, its image has the status its `open` transition moves to; `startsAttempt`: the
 * opening starts the attempt (the image leaves queued, its size unknown until staged).
 */
export const SESSION_PURPOSES = {
	upload: { open: "openSession", complete: "completeSession", startsAttempt: false },
	stage: { open: "stage", complete: "completeStaging", startsAttempt: true },
} as const satisfies Record<
	string,
	{ open: TransitionName; complete: TransitionName; startsAttempt: boolean }
>;

export type SessionPurpose = keyof typeof SESSION_PURPOSES;

/** The status of an image while its session of `purpose` takes parts. */
export const partsStatus = (purpose: SessionPurpose): ImageStatus =>
	LIFECYCLE[SESSION_PURPOSES[purpose].open].to;

/** Statuses in which an image's open upload session takes parts, whatever its purpose. */
export const TAKING_PARTS: readonly ImageStatus[] = (
	Object.keys(SESSION_PURPOSES) as SessionPurpose[]
).map(partsStatus);

/**
 * Statuses in which an image may hold a quota reservation or an upload session (staged bytes
 * count against the owner's storage while they wait for their import).
 */
export const TAKING_DATA: readonly ImageStatus[] = ["queued", "saving", "uploading", "importing"];
/** Statuses whose image's bytes count against its owner's storage. */
export const HOLDING_BYTES: readonly ImageStatus[] = ["active", "deactivated"];
/** Statuses of data staged for an import, or being imported (Glance's image_stage_total). */
export const STAGING: readonly ImageStatus[] = ["uploading", "importing"];
/** Statuses of an upload in progress (Glance's image_count_uploading). */
export const UPLOADING: readonly ImageStatus[] = ["saving", "uploading", "importing"];
/** Statuses whose object, if one is left, is garbage. */
export const DEAD: readonly ImageStatus[] = ["killed", "deleted"];

export const isDead = (status: ImageStatus) => DEAD.includes(status);
export const takesData = (status: ImageStatus) => TAKING_DATA.includes(status);

/** Whether the named transition may start from `status`. */
export function allows(name: TransitionName, status: ImageStatus): boolean {
	return (LIFECYCLE[name].from as readonly ImageStatus[]).includes(status);
}
