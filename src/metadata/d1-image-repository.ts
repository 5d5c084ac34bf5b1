import type { Identity } from "../domain/identity";
import { glanceTimestamp, type ImageStatus, type StoredImage } from "../domain/image";
import { allows, LIFECYCLE, type Transition, type TransitionName } from "../domain/lifecycle";
import type { ListQuery, V2ListQuery } from "../domain/list-query";
import { listImages } from "./d1-image-list";
import { listImagesV2 } from "./d1-image-list-v2";
import {
	type ApplyOptions,
	type BriefImage,
	type DataStart,
	DuplicateImageError,
	type ImageChanges,
	type ImageLookup,
	type ImageRecordJson,
	type ImageRepository,
	type OwnerUsage,
	type PropertyChanges,
	type Transitioned,
	type UploadRefusal,
} from "./image-repository";
import {
	IMAGE_COLUMNS,
	type ImageRow,
	PROPERTY_ROWS_PER_STATEMENT,
	type PropertyRow,
	propertiesFrom,
	rowToImage,
	toRowValue,
	UPDATABLE_COLUMNS,
	withVisibilityPair,
} from "./image-rows";
import { OWNER_USAGE_BY_OWNER, OWNER_USAGE_REPORT, withinQuota } from "./quota-sql";
import { statusList } from "./status-sql";

const INSERT_IMAGE = `INSERT INTO images (${IMAGE_COLUMNS.join(", ")}) VALUES (${IMAGE_COLUMNS.map(
	(_, i) => `?${i + 1}`,
).join(", ")})`;

/**
 * One image for a caller in one statement: the row, the caller's membership, and the
 * properties and tags as JSON (in name order). A batch of three statements cost the local D1
 * about as much CPU again as the lookup itself, on the path every request about an image takes.
 */
const SELECT_IMAGE_FOR_CALLER = `SELECT images.*, m.can_share AS caller_can_share,
	(SELECT json_group_object(name, value) FROM (SELECT name, value FROM image_properties
		WHERE image_id = images.id ORDER BY name)) AS properties_json,
	(SELECT json_group_array(value) FROM (SELECT value FROM image_tags
		WHERE image_id = images.id ORDER BY value)) AS tags_json
	FROM images LEFT JOIN image_members m
	ON m.image_id = images.id AND m.member = ?2 AND m.deleted = 0
	WHERE images.id = ?1`;

const SELECT_IMAGE = "SELECT * FROM images WHERE id = ?1";
const SELECT_TAGS = "SELECT value FROM image_tags WHERE image_id = ?1 ORDER BY value";
const tagsFrom = (rows: unknown[]) => (rows as { value: string }[]).map((r) => r.value);
const SELECT_PROPERTIES =
	"SELECT name, value FROM image_properties WHERE image_id = ?1 ORDER BY name";
/** Property statements of an update run only if the image row carries the update's new token. */
const IF_REVISION = "EXISTS (SELECT 1 FROM images WHERE id = ?1 AND revision = ?2)";
/** Closing a session with its image's transition: the multipart's id comes back to be aborted. */
const DELETE_PARTS = `DELETE FROM upload_parts WHERE image_id = ?1 AND ${IF_REVISION}`;
const DELETE_ARRIVALS = `DELETE FROM upload_part_arrivals WHERE image_id = ?1 AND ${IF_REVISION}`;
const DELETE_SESSION = `DELETE FROM upload_sessions WHERE image_id = ?1 AND ${IF_REVISION} RETURNING upload_id`;
const HAS_SESSION = "EXISTS (SELECT 1 FROM upload_sessions WHERE image_id = ?1)";

function isUniqueViolation(err: unknown): boolean {
	return (
		err instanceof Error && /UNIQUE constraint failed: images\.(id|object_key)/.test(err.message)
	);
}

/** `SET a = ?n, b = ?n+1 …` for the given columns, appending their values to `params`. */
function assignments(values: Record<string, unknown>, params: unknown[]): string {
	return UPDATABLE_COLUMNS.filter((c) => c in values)
		.map((c) => {
			params.push(toRowValue(values[c]));
			return `${c} = ?${params.length}`;
		})
		.join(", ");
}

export class D1ImageRepository implements ImageRepository {
	constructor(private readonly db: D1Database) {}

	async insert(image: StoredImage): Promise<void> {
		const values = IMAGE_COLUMNS.map((c) =>
			toRowValue((image as unknown as Record<string, unknown>)[c]),
		);
		const statements = [
			this.db.prepare(INSERT_IMAGE).bind(...values),
			...this.propertyInserts(image.id, image.properties),
			...this.tagInserts(image.id, image.tags),
		];
		try {
			await this.db.batch(statements);
		} catch (err) {
			if (isUniqueViolation(err)) throw new DuplicateImageError(image.id);
			throw err;
		}
	}

	async find(id: string, tenant: string | null): Promise<ImageLookup | null> {
		const row = await this.db
			.prepare(SELECT_IMAGE_FOR_CALLER)
			.bind(id, tenant)
			.first<
				ImageRow & { caller_can_share: number | null; properties_json: string; tags_json: string }
			>();
		if (!row) return null;
		return {
			image: rowToImage(row, JSON.parse(row.properties_json), JSON.parse(row.tags_json)),
			callerIsMember: row.caller_can_share !== null,
			callerCanShare: row.caller_can_share === 1,
		};
	}

	apply(
		name: TransitionName,
		id: string,
		changes: Partial<StoredImage> = {},
		options: ApplyOptions = {},
	): Promise<Transitioned | null> {
		// The attempt: a transition that ends one upload or import must not end a later one.
		const guard =
			options.attempt === undefined
				? undefined
				: { guard: "AND upload_started_at IS ?2", params: [options.attempt] };
		return this.applyTransition(LIFECYCLE[name], id, changes, guard);
	}

	async startUpload(
		id: string,
		bytes: number,
		quota: number,
		via: DataStart = "startUpload",
	): Promise<StoredImage | UploadRefusal> {
		const changes: Partial<StoredImage> = {
			upload_started_at: glanceTimestamp(),
			reserved_bytes: bytes,
			// Staged data has no size until all of it is there (Glance sets it after staging).
			...(via === "stage" ? { size: null, virtual_size: null } : {}),
		};
		const applied = await this.applyTransition(LIFECYCLE[via], id, changes, {
			guard: `AND NOT ${HAS_SESSION} AND ${withinQuota("?2", "?3")}`,
			params: [bytes, quota],
		});
		if (applied) return applied.image;
		const now = await this.db
			.prepare(`SELECT status, ${HAS_SESSION} AS session FROM images WHERE id = ?1`)
			.bind(id)
			.first<{ status: ImageStatus; session: number }>();
		if (now?.session) return "session";
		return now && allows(via, now.status) ? "quota" : "conflict";
	}

	async startImport(id: string, changes: Partial<StoredImage>): Promise<Transitioned | null> {
		// Only data staged in full: a stage still streaming, or a staging session still taking
		// parts, has no size yet.
		return this.applyTransition(LIFECYCLE.import, id, changes, {
			guard: `AND size IS NOT NULL AND NOT EXISTS
				(SELECT 1 FROM upload_sessions WHERE image_id = ?1 AND state = 'open')`,
			params: [],
		});
	}

	async growReservation(
		id: string,
		bytes: number,
		quota: number,
		during: DataStart = "startUpload",
	): Promise<boolean> {
		const result = await this.db
			.prepare(
				`UPDATE images SET reserved_bytes = reserved_bytes + ?2
				 WHERE id = ?1 AND status = '${LIFECYCLE[during].to}'
				 AND ${withinQuota("reserved_bytes + ?2", "?3")}`,
			)
			.bind(id, bytes, quota)
			.run();
		return result.meta.changes > 0;
	}

	async storageUsed(owner: string): Promise<number> {
		const row = await this.db.prepare(OWNER_USAGE_BY_OWNER).bind(owner).first<{ used: number }>();
		return row?.used ?? 0;
	}

	async usage(owner: string): Promise<OwnerUsage> {
		const row = await this.db.prepare(OWNER_USAGE_REPORT).bind(owner).first<OwnerUsage>();
		return row ?? { stored: 0, staged: 0, images: 0, uploading: 0 };
	}

	async update(
		id: string,
		revision: string,
		changes: ImageChanges,
		properties: PropertyChanges,
		tags?: readonly string[],
	): Promise<StoredImage | null> {
		const stamped = this.stamped(withVisibilityPair(changes));
		const params: unknown[] = [id, revision];
		const sql = `UPDATE images SET ${assignments(stamped, params)} WHERE id = ?1 AND revision = ?2 AND deleted = 0 RETURNING id`;
		const newRevision = stamped.revision as string;
		const statements = [this.db.prepare(sql).bind(...params)];
		if (properties.purge) {
			statements.push(
				this.db
					.prepare(`DELETE FROM image_properties WHERE image_id = ?1 AND ${IF_REVISION}`)
					.bind(id, newRevision),
			);
		}
		for (let i = 0; i < properties.remove.length; i += 90) {
			const names = properties.remove.slice(i, i + 90);
			const list = names.map((_, j) => `?${j + 3}`).join(", ");
			statements.push(
				this.db
					.prepare(
						`DELETE FROM image_properties WHERE image_id = ?1 AND name IN (${list}) AND ${IF_REVISION}`,
					)
					.bind(id, newRevision, ...names),
			);
		}
		const entries = Object.entries(properties.set);
		for (let i = 0; i < entries.length; i += PROPERTY_ROWS_PER_STATEMENT) {
			const chunk = entries.slice(i, i + PROPERTY_ROWS_PER_STATEMENT);
			const rows = chunk.map((_, j) => `(?${j * 2 + 3}, ?${j * 2 + 4})`).join(", ");
			statements.push(
				this.db
					.prepare(
						`INSERT INTO image_properties (image_id, name, value)
						 SELECT ?1, column1, column2 FROM (VALUES ${rows}) WHERE ${IF_REVISION}
						 ON CONFLICT (image_id, name) DO UPDATE SET value = excluded.value`,
					)
					.bind(id, newRevision, ...chunk.flat()),
			);
		}
		if (tags !== undefined) {
			statements.push(
				this.db
					.prepare(`DELETE FROM image_tags WHERE image_id = ?1 AND ${IF_REVISION}`)
					.bind(id, newRevision),
				...this.tagInserts(id, tags, newRevision),
			);
		}
		const { image } = await this.applyAndRead(id, statements);
		return image?.revision === newRevision ? image : null;
	}

	markDeleted(id: string): Promise<Transitioned | null> {
		const now = glanceTimestamp();
		const members = `UPDATE image_members SET deleted = 1, deleted_at = ?3, updated_at = ?3
			WHERE image_id = ?1 AND deleted = 0 AND ${IF_REVISION}`;
		// Glance soft-deleted the properties with the image; a tombstone keeps none.
		const properties = `DELETE FROM image_properties WHERE image_id = ?1 AND ${IF_REVISION}`;
		const tags = `DELETE FROM image_tags WHERE image_id = ?1 AND ${IF_REVISION}`;
		return this.applyTransition(
			LIFECYCLE.delete,
			id,
			{ deleted: true, deleted_at: now },
			{ guard: "AND deleted = 0 AND protected = 0", params: [] },
			(revision) => [
				this.db.prepare(members).bind(id, revision, now),
				this.db.prepare(properties).bind(id, revision),
				this.db.prepare(tags).bind(id, revision),
			],
		);
	}

	list(query: ListQuery, who: Identity, detail: true): Promise<ImageRecordJson[]>;
	list(query: ListQuery, who: Identity, detail: false): Promise<BriefImage[]>;
	list(
		query: ListQuery,
		who: Identity,
		detail: boolean,
	): Promise<ImageRecordJson[] | BriefImage[]> {
		return detail ? listImages(this.db, query, who, true) : listImages(this.db, query, who, false);
	}

	listV2(query: V2ListQuery, who: Identity): Promise<StoredImage[]> {
		return listImagesV2(this.db, query, who);
	}

	/** Every change gets a new updated_at and a new revision token. */
	private stamped(values: Record<string, unknown>): Record<string, unknown> {
		return { updated_at: glanceTimestamp(), ...values, revision: crypto.randomUUID() };
	}

	/**
	 * One guarded status change as one batch: the image row (guarded by the transition's `from`
	 * and `extra.guard`, whose parameters follow ?1 = id), then `more` statements and, when the
	 * transition closes the session, the session's rows, each conditional on the new revision.
	 */
	private async applyTransition(
		transition: Transition,
		id: string,
		changes: Partial<StoredImage>,
		extra: { guard: string; params: unknown[] } = { guard: "", params: [] },
		more: (revision: string) => D1PreparedStatement[] = () => [],
	): Promise<Transitioned | null> {
		const stamped = this.stamped({
			...changes,
			status: transition.to,
			...(transition.endsReservation ? { reserved_bytes: 0 } : {}),
		});
		const revision = stamped.revision as string;
		const params: unknown[] = [id, ...extra.params];
		const set = assignments(stamped, params);
		const sql = `UPDATE images SET ${set} WHERE id = ?1 AND status IN (${statusList(transition.from)})
			${extra.guard} RETURNING id`;
		const statements = [this.db.prepare(sql).bind(...params), ...more(revision)];
		const closing = transition.closesSession
			? [
					this.db.prepare(DELETE_PARTS).bind(id, revision),
					this.db.prepare(DELETE_SESSION).bind(id, revision),
					this.db.prepare(DELETE_ARRIVALS).bind(id, revision),
				]
			: [];
		const { image, results } = await this.applyAndRead(id, [...statements, ...closing]);
		if (!image) return null;
		const closed = closing.length > 0 ? results[statements.length + 1].results[0] : undefined;
		return {
			image,
			closedUploadId: (closed as { upload_id: string } | undefined)?.upload_id ?? null,
		};
	}

	/**
	 * Runs `statements` (the first one guarded, with RETURNING) and the image read in one batch;
	 * the image only if the guarded statement changed it.
	 */
	private async applyAndRead(
		id: string,
		statements: D1PreparedStatement[],
	): Promise<{ image: StoredImage | null; results: D1Result<unknown>[] }> {
		const results = await this.db.batch<unknown>([
			...statements,
			this.db.prepare(SELECT_IMAGE).bind(id),
			this.db.prepare(SELECT_PROPERTIES).bind(id),
			this.db.prepare(SELECT_TAGS).bind(id),
		]);
		if (results[0].results.length === 0) return { image: null, results };
		const row = results[results.length - 3].results[0] as ImageRow | undefined;
		const props = results[results.length - 2].results as PropertyRow[];
		const tags = tagsFrom(results[results.length - 1].results);
		return { image: row ? rowToImage(row, propertiesFrom(props), tags) : null, results };
	}

	/** Inserts of an image's tags; with `revision`, only if the image row carries it. */
	private tagInserts(
		imageId: string,
		tags: readonly string[],
		revision?: string,
	): D1PreparedStatement[] {
		const statements: D1PreparedStatement[] = [];
		const perStatement = 90;
		for (let i = 0; i < tags.length; i += perStatement) {
			const chunk = tags.slice(i, i + perStatement);
			const rows = chunk.map((_, j) => `(?${j + 3})`).join(", ");
			const guard = revision === undefined ? "" : `WHERE ${IF_REVISION}`;
			statements.push(
				this.db
					.prepare(
						`INSERT OR IGNORE INTO image_tags (image_id, value)
						 SELECT ?1, column1 FROM (VALUES ${rows}) ${guard}`,
					)
					.bind(imageId, revision ?? null, ...chunk),
			);
		}
		return statements;
	}

	private propertyInserts(
		imageId: string,
		properties: Record<string, string>,
	): D1PreparedStatement[] {
		const entries = Object.entries(properties);
		const statements: D1PreparedStatement[] = [];
		for (let i = 0; i < entries.length; i += PROPERTY_ROWS_PER_STATEMENT) {
			const chunk = entries.slice(i, i + PROPERTY_ROWS_PER_STATEMENT);
			const placeholders = chunk.map((_, j) => `(?${j * 3 + 1}, ?${j * 3 + 2}, ?${j * 3 + 3})`);
			const sql = `INSERT INTO image_properties (image_id, name, value) VALUES ${placeholders.join(", ")}`;
			statements.push(this.db.prepare(sql).bind(...chunk.flatMap(([k, val]) => [imageId, k, val])));
		}
		return statements;
	}
}
