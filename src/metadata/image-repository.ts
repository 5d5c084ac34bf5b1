import type { Identity } from "../domain/identity";
import type { Image, StoredImage } from "../domain/image";
import type { CHANGEABLE_FIELDS } from "../domain/image-fields";
import type { TransitionName } from "../domain/lifecycle";
import type { ListQuery, V2ListQuery } from "../domain/list-query";

/** Thrown by `insert` when the id (live or tombstoned) already exists. */
export class DuplicateImageError extends Error {
	constructor(readonly id: string) {
		super(`duplicate image id ${id}`);
		this.name = "DuplicateImageError";
	}
}

/** A stored image together with whether the asking tenant is one of its members. */
export interface ImageLookup {
	image: StoredImage;
	callerIsMember: boolean;
	/** The asking tenant is a member allowed to share the image further. */
	callerCanShare: boolean;
}

/** A brief list entry: exactly these six keys (contract §3.2). */
/** An image record of a v1 detail list as JSON text: the public view and its properties. */
export type ImageRecordJson = string & { readonly __imageRecordJson: true };

export type BriefImage = Pick<
	Image,
	"id" | "name" | "size" | "disk_format" | "container_format" | "checksum"
>;

/** Columns of an image a metadata update may set: the changeable fields, the owner, v2's own. */
export type ImageChanges = Partial<
	Pick<StoredImage, (typeof CHANGEABLE_FIELDS)[number] | "owner" | "visibility" | "os_hidden">
>;

/** A transition that took effect. */
export interface Transitioned {
	image: StoredImage;
	/** The multipart upload of the session the transition closed, for its caller to abort. */
	closedUploadId: string | null;
}

/** The transitions that start taking data: a single-request upload, or a stage (Glance v2). */
export type DataStart = "startUpload" | "stage";

export interface ApplyOptions {
	/**
	 * The `upload_started_at` the image must still have: the attempt (upload, stage or import)
	 * the caller is ending, so that it cannot end a later attempt on the same image.
	 */
	attempt?: string | null;
}

/** Bytes stored (active images) and staged (for an import), images, uploads in progress. */
export interface OwnerUsage {
	stored: number;
	staged: number;
	images: number;
	uploading: number;
}

/** Why an upload could not start. */
export type UploadRefusal = "quota" | "session" | "conflict";

/** How an update changes the property set. */
export interface PropertyChanges {
	/** Remove every property not in `set` first (Glance's purge-props). */
	purge: boolean;
	set: Record<string, string>;
	remove: string[];
}

/**
 * Image metadata in D1. D1 is the source of truth; every state change is a single guarded
 * statement or one batch, so two requests racing can never both win.
 */
export interface ImageRepository {
	/** Inserts the image and its properties atomically; DuplicateImageError if the id was ever used. */
	insert(image: StoredImage): Promise<void>;
	/** The image (deleted tombstones included) or null; `tenant` decides `callerIsMember`. */
	find(id: string, tenant: string | null): Promise<ImageLookup | null>;
	/**
	 * Applies the named lifecycle transition (domain/lifecycle.ts) if the image's status allows
	 * it, with `changes` in the same statement; a transition that ends the reservation or the
	 * session does so in the same batch. Null when the guard did not hold.
	 */
	apply(
		name: TransitionName,
		id: string,
		changes?: Partial<StoredImage>,
		options?: ApplyOptions,
	): Promise<Transitioned | null>;
	/**
	 * Starts a single-request upload (`startUpload`) or stage (`stage`), reserving `bytes`
	 * against the owner's storage quota in the same statement. "quota" when the reservation
	 * would pass `quota` (0: unlimited), "session" when an upload session owns the image's data,
	 * "conflict" when the image is no longer queued.
	 */
	startUpload(
		id: string,
		bytes: number,
		quota: number,
		via?: DataStart,
	): Promise<StoredImage | UploadRefusal>;
	/**
	 * The `import` transition, only when the image's staged data is complete (it has a size and
	 * no staging session takes parts). Null when the guard did not hold.
	 */
	startImport(id: string, changes: Partial<StoredImage>): Promise<Transitioned | null>;
	/** Reserves `bytes` more for an upload in progress; false when that would pass `quota`. */
	growReservation(id: string, bytes: number, quota: number, during?: DataStart): Promise<boolean>;
	/** Bytes the owner's images hold: sizes of active images plus reservations of uploads. */
	storageUsed(owner: string): Promise<number>;
	/** The owner's usage as GET /v2/info/usage reports it. */
	usage(owner: string): Promise<OwnerUsage>;
	/**
	 * Applies metadata and property changes atomically, only if the image still has `revision`
	 * (compare-and-swap). Returns the updated image, or null when another change came first.
	 */
	update(
		id: string,
		revision: string,
		changes: ImageChanges,
		properties: PropertyChanges,
		/** The image's whole new tag set (v2), or undefined to leave the tags alone. */
		tags?: readonly string[],
	): Promise<StoredImage | null>;
	/**
	 * Turns the image into a tombstone (the `delete` transition: deleted_at set, memberships
	 * removed, reservation released, session closed) if it is not protected and not already
	 * deleted. Null when the guard did not hold.
	 */
	markDeleted(id: string): Promise<Transitioned | null>;
	/**
	 * One page of the images `who` may list (contract §5.1), in one D1 round trip whatever the
	 * page size. Refuses (invalid, field marker) when the marker is not an image the caller can see.
	 */
	list(query: ListQuery, who: Identity, detail: true): Promise<ImageRecordJson[]>;
	list(query: ListQuery, who: Identity, detail: false): Promise<BriefImage[]>;
	/**
	 * One page of a v2 list (glance-v2-contract §6) with tags. Refuses when the marker is not a
	 * live image (invalid) or one the caller cannot see (forbidden).
	 */
	listV2(query: V2ListQuery, who: Identity): Promise<StoredImage[]>;
}
