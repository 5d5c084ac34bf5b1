import type { ImageStatus, StoredImage } from "../domain/image";

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
}
