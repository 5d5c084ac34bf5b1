import { env } from "cloudflare:workers";
import { glanceTimestamp, objectKeyFor, type StoredImage } from "../../src/domain/image";
import { D1ImageRepository } from "../../src/metadata/d1-image-repository";
import { DuplicateImageError } from "../../src/metadata/image-repository";

function newImage(overrides: Partial<StoredImage> = {}): StoredImage {
	const id = overrides.id ?? crypto.randomUUID();
	const now = glanceTimestamp();
	return {
		id,
		name: "repo",
		status: "queued",
		size: 0,
		virtual_size: null,
		checksum: null,
		os_hash_algo: null,
		os_hash_value: null,
		disk_format: "raw",
		container_format: "bare",
		min_disk: 0,
		min_ram: 0,
		is_public: false,
		owner: "tenant-a",
		protected: false,
		created_at: now,
		updated_at: now,
		deleted_at: null,
		deleted: false,
		properties: {},
		object_key: objectKeyFor(id),
		status_reason: null,
		upload_started_at: null,
		revision: crypto.randomUUID(),
		reserved_bytes: 0,
		detected_format: null,
		import_task_id: null,
		visibility: overrides.is_public ? "public" : "shared",
		os_hidden: false,
		tags: [],
		...overrides,
	};
}

describe("D1ImageRepository", () => {
	const repo = new D1ImageRepository(env.DB);

	it("stores an image with many properties and reads it back", async () => {
		const properties = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, `v${i}`]));
		const image = newImage({ properties, is_public: true, protected: true });
		await repo.insert(image);
		const found = await repo.find(image.id, "tenant-b");
		expect(found).toEqual({ image, callerIsMember: false, callerCanShare: false });
	});

	it("refuses a duplicate id and leaves the first row and its properties alone", async () => {
		const image = newImage({ properties: { a: "1" } });
		await repo.insert(image);
		await expect(
			repo.insert({ ...image, name: "other", properties: { b: "2" } }),
		).rejects.toBeInstanceOf(DuplicateImageError);
		const found = await repo.find(image.id, null);
		expect(found?.image.name).toBe("repo");
		expect(found?.image.properties).toEqual({ a: "1" });
	});

	it("reports membership of the asking tenant", async () => {
		const image = newImage();
		await repo.insert(image);
		await env.DB.prepare(
			"INSERT INTO image_members (image_id, member, created_at, updated_at) VALUES (?1, 'tenant-c', 'x', 'x')",
		)
			.bind(image.id)
			.run();
		expect((await repo.find(image.id, "tenant-c"))?.callerIsMember).toBe(true);
		expect((await repo.find(image.id, "tenant-d"))?.callerIsMember).toBe(false);
		expect(await repo.find(crypto.randomUUID(), "tenant-c")).toBeNull();
	});

	it("applies a transition only when the guard holds", async () => {
		const image = newImage();
		await repo.insert(image);
		const saving = (await repo.apply("startUpload", image.id, { size: 5 }))?.image;
		expect(saving).toMatchObject({ status: "saving", size: 5 });
		expect((saving?.updated_at ?? "") >= image.updated_at).toBe(true);
		expect(await repo.apply("startUpload", image.id)).toBeNull();
		const [first, second] = await Promise.all([
			repo.apply("finishUpload", image.id),
			repo.apply("kill", image.id),
		]);
		expect([first, second].filter(Boolean)).toHaveLength(1);
	});
});
