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
