import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

/**
 * Migration 0007 rebuilds the images table (its status CHECK gains uploading and importing).
 * Here it runs over a database that already holds images with properties, members, tags and an
 * upload session, as a deployed database does: every row must survive, the foreign keys must
 * still hold, and every index must be there again.
 */
const BEFORE = 6;

async function dropEverything(): Promise<void> {
	const { results } = await env.DB.prepare(
		"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
	).all<{ name: string }>();
	await env.DB.batch([
		env.DB.prepare("PRAGMA defer_foreign_keys = on"),
		...results.map((t) => env.DB.prepare(`DROP TABLE "${t.name}"`)),
	]);
}

const indexes = async () =>
	(
		await env.DB.prepare(
			"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'images' AND sql IS NOT NULL ORDER BY name",
		).all<{ name: string; sql: string }>()
	).results;

describe("migration 0007 (images table rebuild)", () => {
	it("keeps every row, foreign key and index of a database made by 0001-0006", async () => {
		await dropEverything();
		await applyD1Migrations(env.DB, env.TEST_MIGRATIONS.slice(0, BEFORE));
		const before = await indexes();
		const now = "2024-01-02T03:04:05.000000";
		const row = (extra = "") =>
			env.DB.prepare(
				`INSERT INTO images (id, name, status, size, object_key, revision, created_at, updated_at,
				 owner, visibility, reserved_bytes${extra ? ", checksum" : ""})
				 VALUES (?1, ?2, ?3, ?4, ?5, 'r', ?6, ?6, 'tenant-a', 'private', ?7${extra ? ", ?8" : ""})`,
			);
		await env.DB.batch([
			row("x").bind("a", "one", "active", 10, "images/a", now, 0, "0123"),
			row().bind("q", "two", "queued", 0, "images/q", now, 500),
			env.DB.prepare(
				"INSERT INTO image_properties (image_id, name, value) VALUES ('a', 'os_distro', 'cirros')",
			),
			env.DB.prepare(
				"INSERT INTO image_members (image_id, member, created_at, updated_at) VALUES ('a', 'tenant-b', ?1, ?1)",
			).bind(now),
			env.DB.prepare("INSERT INTO image_tags (image_id, value) VALUES ('a', 'web')"),
			env.DB.prepare(
				`INSERT INTO upload_sessions (image_id, upload_id, size, part_size, part_count, state, created_at, expires_at)
				 VALUES ('q', 'u1', 500, 5242880, 1, 'open', ?1, ?1)`,
			).bind(now),
			env.DB.prepare(
				"INSERT INTO upload_parts (image_id, part_number, size, etag, uploaded_at) VALUES ('q', 1, 500, 'e', ?1)",
			).bind(now),
		]);

		await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

		const images = await env.DB.prepare(
			"SELECT id, name, status, size, checksum, reserved_bytes, visibility, owner, import_task_id FROM images ORDER BY id",
		).all();
		expect(images.results).toEqual([
			{
				id: "a",
				name: "one",
				status: "active",
				size: 10,
				checksum: "0123",
				reserved_bytes: 0,
				visibility: "private",
				owner: "tenant-a",
				import_task_id: null,
			},
			{
				id: "q",
				name: "two",
				status: "queued",
				size: 0,
				checksum: null,
				reserved_bytes: 500,
				visibility: "private",
				owner: "tenant-a",
				import_task_id: null,
			},
		]);
		const count = async (table: string) =>
			(await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>())?.n;
		for (const table of ["image_properties", "image_members", "image_tags", "upload_sessions"]) {
			expect(await count(table), table).toBe(1);
		}
		expect((await env.DB.prepare("PRAGMA foreign_key_check").all()).results).toEqual([]);
		// The same indexes, defined the same way.
		expect(await indexes()).toEqual(before);

		// The new statuses are accepted; anything else still is not.
		await env.DB.prepare("UPDATE images SET status = 'uploading' WHERE id = 'q'").run();
		await env.DB.prepare("UPDATE images SET status = 'importing' WHERE id = 'q'").run();
		await expect(
			env.DB.prepare("UPDATE images SET status = 'bogus' WHERE id = 'q'").run(),
		).rejects.toThrow(/CHECK constraint failed/);
		// Foreign keys are enforced against the new table.
		await expect(
			env.DB.prepare("INSERT INTO image_tags (image_id, value) VALUES ('nope', 't')").run(),
		).rejects.toThrow(/FOREIGN KEY constraint failed/);
	});
});
