import type { Image, ImageStatus, StoredImage } from "../domain/image";
import type { ListQuery } from "../domain/list-query";
import type { Identity } from "../identity/identity";

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
export type BriefImage = Pick<
	Image,
	"id" | "name" | "size" | "disk_format" | "container_format" | "checksum"
>;

/** Columns of an image a metadata update may set. */
export type ImageChanges = Partial<
	Pick<
		StoredImage,
		| "name"
		| "disk_format"
		| "container_format"
		| "size"
		| "virtual_size"
		| "checksum"
		| "min_disk"
		| "min_ram"
		| "is_public"
		| "protected"
		| "owner"
	>
>;

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
	 * Moves the image to `to` only if its status is one of `from`, applying `changes` in the same
	 * statement. Returns the updated image, or null when the guard did not hold.
	 */
	transition(
		id: string,
		from: readonly ImageStatus[],
		to: ImageStatus,
		changes?: Partial<StoredImage>,
	): Promise<StoredImage | null>;
	/**
	 * Starts an upload: queued → saving, reserving `bytes` against the owner's storage quota in
	 * the same statement. "quota" when the reservation would pass `quota` (0: unlimited),
	 * "conflict" when the image is no longer queued.
	 */
	startUpload(
		id: string,
		bytes: number,
		quota: number,
	): Promise<StoredImage | "quota" | "conflict">;
	/** Reserves `bytes` more for an upload in progress; false when that would pass `quota`. */
	growReservation(id: string, bytes: number, quota: number): Promise<boolean>;
	/** Bytes the owner's images hold: sizes of active images plus reservations of uploads. */
	storageUsed(owner: string): Promise<number>;
	/**
	 * Applies metadata and property changes atomically, only if the image still has `revision`
	 * (compare-and-swap). Returns the updated image, or null when another change came first.
	 */
	update(
		id: string,
		revision: string,
		changes: ImageChanges,
		properties: PropertyChanges,
	): Promise<StoredImage | null>;
	/**
	 * Turns the image into a tombstone (status deleted, deleted_at set, memberships removed) if it
	 * is deletable: not protected, not already deleted, in a status delete may start from.
	 * Returns the tombstone, or null when the guard did not hold.
	 */
	markDeleted(id: string, from: readonly ImageStatus[]): Promise<StoredImage | null>;
	/**
	 * One page of the images `who` may list (contract §5.1), in one D1 round trip whatever the
	 * page size. Refuses (invalid, field marker) when the marker is not an image the caller can see.
	 */
	list(query: ListQuery, who: Identity, detail: true): Promise<StoredImage[]>;
	list(query: ListQuery, who: Identity, detail: false): Promise<BriefImage[]>;
}
