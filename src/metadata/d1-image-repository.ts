import { glanceTimestamp, type ImageStatus, type StoredImage } from "../domain/image";
import { DuplicateImageError, type ImageLookup, type ImageRepository } from "./image-repository";
import {
	IMAGE_COLUMNS,
	type ImageRow,
	PROPERTY_ROWS_PER_STATEMENT,
	type PropertyRow,
	propertiesFrom,
	rowToImage,
	toRowValue,
	UPDATABLE_COLUMNS,
} from "./image-rows";

const INSERT_IMAGE = `INSERT INTO images (${IMAGE_COLUMNS.join(", ")}) VALUES (${IMAGE_COLUMNS.map(
	(_, i) => `?${i + 1}`,
).join(", ")})`;

const SELECT_IMAGE_FOR_CALLER = `SELECT images.*, EXISTS (
	SELECT 1 FROM image_members m WHERE m.image_id = images.id AND m.member = ?2 AND m.deleted = 0
) AS caller_is_member FROM images WHERE id = ?1`;

const SELECT_PROPERTIES =
	"SELECT name, value FROM image_properties WHERE image_id = ?1 ORDER BY name";

function isUniqueViolation(err: unknown): boolean {
	return (
		err instanceof Error && /UNIQUE constraint failed: images\.(id|object_key)/.test(err.message)
	);
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
		];
		try {
			await this.db.batch(statements);
		} catch (err) {
			if (isUniqueViolation(err)) throw new DuplicateImageError(image.id);
			throw err;
		}
	}

	async find(id: string, tenant: string | null): Promise<ImageLookup | null> {
		const [imageResult, propsResult] = await this.db.batch<unknown>([
			this.db.prepare(SELECT_IMAGE_FOR_CALLER).bind(id, tenant),
			this.db.prepare(SELECT_PROPERTIES).bind(id),
		]);
		const row = imageResult.results[0] as (ImageRow & { caller_is_member: number }) | undefined;
		if (!row) return null;
		const props = propertiesFrom(propsResult.results as PropertyRow[]);
		return { image: rowToImage(row, props), callerIsMember: row.caller_is_member === 1 };
	}

	async transition(
		id: string,
		from: readonly ImageStatus[],
		to: ImageStatus,
		changes: Partial<StoredImage> = {},
	): Promise<StoredImage | null> {
		const set: Record<string, unknown> = { updated_at: glanceTimestamp(), ...changes, status: to };
		const columns = UPDATABLE_COLUMNS.filter((c) => c in set);
		const params: unknown[] = [id, ...from];
		const assignments = columns.map((c) => {
			params.push(toRowValue(set[c]));
			return `${c} = ?${params.length}`;
		});
		const guard = from.map((_, i) => `?${i + 2}`).join(", ");
		const sql = `UPDATE images SET ${assignments.join(", ")} WHERE id = ?1 AND status IN (${guard}) RETURNING *`;
		const [updated, props] = await this.db.batch<unknown>([
			this.db.prepare(sql).bind(...params),
			this.db.prepare(SELECT_PROPERTIES).bind(id),
		]);
		const row = updated.results[0] as ImageRow | undefined;
		return row ? rowToImage(row, propertiesFrom(props.results as PropertyRow[])) : null;
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
