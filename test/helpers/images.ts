import { env } from "cloudflare:workers";
import { objectKeyFor } from "../../src/domain/image";
import { metaHeaders, REGISTRATION } from "./fixtures";
import { type Caller, type Client, jsonInit, worker } from "./http";

/** An image as the API answers it: the fields tests read by name, and the rest. */
export interface ImageRecord {
	id: string;
	name: string | null;
	status: string;
	size: number | null;
	checksum: string | null;
	is_public: boolean;
	owner: string | null;
	created_at: string;
	updated_at: string;
	properties: Record<string, string>;
	[field: string]: unknown;
}

async function imageOf(res: Response, status: number): Promise<ImageRecord> {
	expect(res.status).toBe(status);
	return ((await res.json()) as { image: ImageRecord }).image;
}

/**
 * Registers an image without data (202) from a JSON body: REGISTRATION (a qcow2 "cirros") with
 * `fields` over it. `via` another app (appWith) to register under its vars.
 */
export async function registerImage(
	fields: Record<string, unknown> = {},
	as: Caller = "owner",
	via: Client = worker,
): Promise<ImageRecord> {
	const res = await via.api("/v1/images", jsonInit({ ...REGISTRATION, ...fields }, { as }));
	return imageOf(res, 202);
}

/** Registers an image without data (202) in Glance's header form: metaHeaders (a raw "cirros"). */
export async function registerImageByHeaders(
	headers: Record<string, string> = {},
	as: Caller = "owner",
	via: Client = worker,
): Promise<ImageRecord> {
	const res = await via.api("/v1/images", { method: "POST", as, headers: metaHeaders(headers) });
	return imageOf(res, 202);
}

/** Registers an image and uploads `data` in one POST (201 active), headers as metaHeaders. */
export async function registerActive(
	data: Uint8Array,
	headers: Record<string, string> = {},
	as: Caller = "owner",
	via: Client = worker,
): Promise<ImageRecord> {
	const res = await via.api("/v1/images", {
		method: "POST",
		as,
		headers: metaHeaders({ "content-type": "application/octet-stream", ...headers }),
		body: data,
	});
	return imageOf(res, 201);
}

/** Whether the store holds bytes under the image's object key. */
export async function objectExists(id: string): Promise<boolean> {
	return (await env.IMAGES.head(objectKeyFor(id))) !== null;
}

/** A row of the images table (migrations/), as D1 returns it: booleans are 0 or 1. */
export interface ImageRow {
	id: string;
	name: string | null;
	status: string;
	size: number | null;
	virtual_size: number | null;
	checksum: string | null;
	os_hash_algo: string | null;
	os_hash_value: string | null;
	disk_format: string | null;
	container_format: string | null;
	min_disk: number;
	min_ram: number;
	is_public: number;
	owner: string | null;
	protected: number;
	object_key: string;
	status_reason: string | null;
	upload_started_at: string | null;
	revision: string;
	created_at: string;
	updated_at: string;
	deleted_at: string | null;
	deleted: number;
	reserved_bytes: number;
}

/**
 * The image's row straight from D1 (null if there is none): every column, or only `columns`
 * (so that `toEqual` compares just those).
 */
export async function storedRow(id: string): Promise<ImageRow | null>;
export async function storedRow<K extends keyof ImageRow>(
	id: string,
	columns: readonly K[],
): Promise<Pick<ImageRow, K> | null>;
export async function storedRow(
	id: string,
	columns?: readonly (keyof ImageRow)[],
): Promise<Partial<ImageRow> | null> {
	const select = columns ? columns.join(", ") : "*";
	return env.DB.prepare(`SELECT ${select} FROM images WHERE id = ?1`)
		.bind(id)
		.first<Partial<ImageRow>>();
}

/** The image's properties straight from D1, as a name → value record. */
export async function storedProperties(id: string): Promise<Record<string, string>> {
	const { results } = await env.DB.prepare(
		"SELECT name, value FROM image_properties WHERE image_id = ?1",
	)
		.bind(id)
		.all<{ name: string; value: string }>();
	return Object.fromEntries(results.map((r) => [r.name, r.value]));
}
