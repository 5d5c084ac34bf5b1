/**
 * The image record's fields, one line each: how a field is stored and who may set it. The
 * record types, the D1 columns and row mapping, the x-image-meta-* codec's kinds and order, the
 * update allow-list and the read-only rules are all derived from this table, so adding a field
 * is a line here plus a migration.
 */

type Kind = "text" | "int" | "bool" | "timestamp";

interface FieldSpec {
	readonly kind: Kind;
	readonly nullable: boolean;
	/**
	 * Who may give it in a registration or update: anyone, only admins, or no client; "v2":
	 * only through the v2 API's own rules (v1 requests cannot name it).
	 */
	readonly settable: "anyone" | "admin" | "nobody" | "v2";
	/** Glance refused (403) a different value for these; the same value is a no-op. */
	readonly readOnly?: true;
	/** Only admins may change it once the image is active or deactivated. */
	readonly activeImmutable?: true;
	/** Reported as `x-image-meta-<name>` (v1), in table order. */
	readonly v1Header?: true;
	/** Stored but never shown to clients. */
	readonly internal?: true;
	/** Shown by the v2 view only, not in v1 records (glance-v2-contract §10). */
	readonly v2Only?: true;
	/** Written once, at registration. */
	readonly insertOnly?: true;
}

const f = <S extends FieldSpec>(spec: S) => spec;

/** In Glance v1's x-image-meta-* header order, then what only the server sees. */
export const IMAGE_FIELDS = {
	id: f({
		kind: "text",
		nullable: false,
		settable: "nobody",
		readOnly: true,
		v1Header: true,
		insertOnly: true,
	}),
	name: f({ kind: "text", nullable: true, settable: "anyone", v1Header: true }),
	status: f({ kind: "text", nullable: false, settable: "nobody", readOnly: true, v1Header: true }),
	/** Why an image was killed, in words a user understands; null otherwise. */
	status_reason: f({ kind: "text", nullable: true, settable: "nobody", v1Header: true }),
	size: f({
		kind: "int",
		nullable: true,
		settable: "anyone",
		activeImmutable: true,
		v1Header: true,
	}),
	virtual_size: f({ kind: "int", nullable: true, settable: "anyone", v1Header: true }),
	checksum: f({
		kind: "text",
		nullable: true,
		settable: "anyone",
		activeImmutable: true,
		v1Header: true,
	}),
	os_hash_algo: f({
		kind: "text",
		nullable: true,
		settable: "nobody",
		readOnly: true,
		v1Header: true,
	}),
	os_hash_value: f({
		kind: "text",
		nullable: true,
		settable: "nobody",
		readOnly: true,
		v1Header: true,
	}),
	disk_format: f({ kind: "text", nullable: true, settable: "anyone", v1Header: true }),
	container_format: f({ kind: "text", nullable: true, settable: "anyone", v1Header: true }),
	min_disk: f({ kind: "int", nullable: false, settable: "anyone", v1Header: true }),
	min_ram: f({ kind: "int", nullable: false, settable: "anyone", v1Header: true }),
	is_public: f({ kind: "bool", nullable: false, settable: "anyone", v1Header: true }),
	/** Glance: only admins may choose the owner; anyone else's value is silently dropped. */
	owner: f({ kind: "text", nullable: true, settable: "admin", v1Header: true }),
	protected: f({ kind: "bool", nullable: false, settable: "anyone", v1Header: true }),
	created_at: f({
		kind: "timestamp",
		nullable: false,
		settable: "nobody",
		v1Header: true,
		insertOnly: true,
	}),
	updated_at: f({ kind: "timestamp", nullable: false, settable: "nobody", v1Header: true }),
	deleted_at: f({ kind: "timestamp", nullable: true, settable: "nobody", v1Header: true }),
	deleted: f({ kind: "bool", nullable: false, settable: "nobody", v1Header: true }),
	/** v2's visibility (public/private/shared/community); is_public is kept equal to "public". */
	visibility: f({ kind: "text", nullable: false, settable: "v2", v2Only: true }),
	/** v2: left out of default lists. */
	os_hidden: f({ kind: "bool", nullable: false, settable: "v2", v2Only: true }),
	/** R2 object key reserved for the image's bytes; never exposed except as the r2:// location. */
	object_key: f({
		kind: "text",
		nullable: false,
		settable: "nobody",
		internal: true,
		insertOnly: true,
	}),
	/** When bytes started arriving; the sweeper kills uploads that stall. */
	upload_started_at: f({ kind: "timestamp", nullable: true, settable: "nobody", internal: true }),
	/** Random token replaced by every change; updates apply only if it is still the one read. */
	revision: f({ kind: "text", nullable: false, settable: "nobody", internal: true }),
	/** Bytes an upload in progress holds against the owner's storage quota. */
	reserved_bytes: f({ kind: "int", nullable: false, settable: "nobody", internal: true }),
	/** What content inspection found in the bytes (e.g. qcow2, raw, ova:qcow2); null before data. */
	detected_format: f({ kind: "text", nullable: true, settable: "nobody", internal: true }),
	/** The id of the image's latest import (Glance v2's task for it); null before any import. */
	import_task_id: f({ kind: "text", nullable: true, settable: "nobody", internal: true }),
} as const;

type Fields = typeof IMAGE_FIELDS;
export type ImageField = keyof Fields;

type KindValue<K extends Kind> = K extends "int" ? number : K extends "bool" ? boolean : string;
type ValueOf<S extends FieldSpec> = S["nullable"] extends true
	? KindValue<S["kind"]> | null
	: KindValue<S["kind"]>;
/** The names of the fields whose spec has `P`. */
export type FieldsWith<P> = { [K in ImageField]: Fields[K] extends P ? K : never }[ImageField];

/** Every stored column's value, typed from the table. */
export type ImageColumns = { -readonly [K in ImageField]: ValueOf<Fields[K]> };

const names = Object.keys(IMAGE_FIELDS) as ImageField[];
function where<P>(test: (spec: FieldSpec) => boolean): FieldsWith<P>[] {
	return names.filter((name) => test(IMAGE_FIELDS[name])) as FieldsWith<P>[];
}

/** Every column, in table order. */
export const ALL_FIELDS: readonly ImageField[] = names;
/** Stored but never shown. */
export const INTERNAL_FIELDS = where<{ internal: true }>((s) => s.internal === true);
export type PublicField = Exclude<
	ImageField,
	FieldsWith<{ internal: true }> | FieldsWith<{ v2Only: true }>
>;
/** What v1 clients see: everything but the internal fields and the v2 view's own. */
export const PUBLIC_FIELDS = names.filter(
	(n) => !(IMAGE_FIELDS[n] as FieldSpec).internal && !(IMAGE_FIELDS[n] as FieldSpec).v2Only,
) as PublicField[];
/** Reported as x-image-meta-* headers, in Glance's order. */
export const V1_HEADER_FIELDS = where<{ v1Header: true }>((s) => s.v1Header === true);
export const READ_ONLY_FIELDS = where<{ readOnly: true }>((s) => s.readOnly === true);
export const ACTIVE_IMMUTABLE_FIELDS = where<{ activeImmutable: true }>(
	(s) => s.activeImmutable === true,
);
/** What an update may set for anyone (owner is admin-only and handled apart). */
export const CHANGEABLE_FIELDS = where<{ settable: "anyone" }>((s) => s.settable === "anyone");
/** Columns a guarded update may set (never built from client input). */
export const UPDATABLE_FIELDS = names.filter(
	(n) => !(IMAGE_FIELDS[n] as FieldSpec).insertOnly,
) as Exclude<ImageField, FieldsWith<{ insertOnly: true }>>[];
export const INTEGER_FIELDS = where<{ kind: "int"; v1Header: true }>(
	(s) => s.kind === "int" && s.v1Header === true,
);
export const BOOLEAN_FIELDS = where<{ kind: "bool"; v1Header: true }>(
	(s) => s.kind === "bool" && s.v1Header === true,
);
export const TIMESTAMP_FIELDS = where<{ kind: "timestamp"; v1Header: true }>(
	(s) => s.kind === "timestamp" && s.v1Header === true,
);
export const BOOLEAN_COLUMNS = where<{ kind: "bool" }>((s) => s.kind === "bool");
