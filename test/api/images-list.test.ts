import { env } from "cloudflare:workers";
import { REGISTRATION } from "../helpers/fixtures";
import { api, type Caller, errorOf, postJson } from "../helpers/http";

interface Seed {
	name?: string | null;
	status?: string;
	size?: number | null;
	disk_format?: string | null;
	container_format?: string | null;
	min_ram?: number;
	min_disk?: number;
	is_public?: number;
	owner?: string | null;
	protected?: number;
	created_at?: string;
	updated_at?: string;
	deleted?: number;
	properties?: Record<string, string>;
}
type Seeded = Required<Omit<Seed, "properties">> & { id: string };
type Listed = { id: string; name: string | null } & Record<string, unknown>;

const at = (second: number) => `2021-01-01T00:00:${String(second).padStart(2, "0")}.000000`;

const DEFAULT_ROW = {
	status: "active",
	size: 10,
	owner: "tenant-a",
	disk_format: "raw",
	container_format: "bare",
	min_ram: 0,
	min_disk: 0,
	is_public: 0,
	protected: 0,
	deleted: 0,
};

/** INSERT of one row; column names come from the test's own literals. */
function insert(table: string, record: Record<string, unknown>): D1PreparedStatement {
	const columns = Object.keys(record);
	const slots = columns.map((_, i) => `?${i + 1}`).join(", ");
	const sql = `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${slots})`;
	return env.DB.prepare(sql).bind(...Object.values(record));
}

/**
 * Inserts images straight into D1, so a test controls every column (timestamps, status, owner).
 * Each carries the property batch=<tag>; tests filter on it because storage is shared in a file.
 */
async function seed(tag: string, rows: Seed[]): Promise<Seeded[]> {
	const statements: D1PreparedStatement[] = [];
	const seeded = rows.map(({ properties = {}, ...columns }, i) => {
		const id = crypto.randomUUID();
		const row: Seeded = {
			...DEFAULT_ROW,
			id,
			name: `image-${i}`,
			created_at: at(i),
			updated_at: at(i),
			...columns,
		};
		const revision = crypto.randomUUID();
		statements.push(insert("images", { ...row, object_key: `images/${id}`, revision }));
		for (const [name, value] of Object.entries({ ...properties, batch: tag })) {
			statements.push(insert("image_properties", { image_id: id, name, value }));
		}
		return row;
	});
	await env.DB.batch(statements);
	return seeded;
}

async function list(query: string, as: Caller = "owner", path = "/v1/images/detail") {
	const res = await api(`${path}?${query}`, { as });
	expect(res.status).toBe(200);
	return ((await res.json()) as { images: Listed[] }).images;
}
const ids = (images: readonly { id: string }[]) => images.map((i) => i.id);
const names = (images: readonly Listed[]) => images.map((i) => i.name);

describe("GET /v1/images and /v1/images/detail", () => {
	it("lists brief entries with exactly six keys and detail entries as full records", async () => {
		const tag = crypto.randomUUID();
		const properties = { batch: tag, os_distro: "cirros" };
		const created = await postJson("/v1/images", { ...REGISTRATION, min_ram: 64, properties });
		const { image } = (await created.json()) as { image: Listed };

		const [brief] = await list(`property-batch=${tag}`, "owner", "/v1/images");
		expect(brief).toEqual({
			id: image.id,
			name: "cirros",
			size: 0,
			disk_format: "qcow2",
			container_format: "bare",
			checksum: null,
		});
		const detail = await list(`property-batch=${tag}`);
		expect(detail).toEqual([image]);
		for (const secret of ["object_key", "revision", "reserved_bytes", "upload_started_at"]) {
			expect(detail[0]).not.toHaveProperty(secret);
		}

		const name = crypto.randomUUID();
		await postJson("/v1/images", { ...REGISTRATION, name });
		expect((await list(`name=${name}`))[0].properties).toEqual({});
	});

	it('answers an empty list as exactly {"images": []}', async () => {
		for (const path of ["/v1/images", "/v1/images/detail"]) {
			const res = await api(`${path}?name=${crypto.randomUUID()}`);
			expect(res.status).toBe(200);
			expect(res.headers.get("content-type")).toMatch(/^application\/json/);
			expect(await res.text()).toBe('{"images":[]}');
		}
	});

	it("serves the brief list at /v1 and under every version prefix", async () => {
		const tag = crypto.randomUUID();
		const [row] = await seed(tag, [{}]);
		for (const path of ["/v1", "/v1.0/images", "/v1.1/images", "/v1.1/images/detail"]) {
			expect(ids(await list(`property-batch=${tag}`, "owner", path))).toEqual([row.id]);
		}
	});

	it.each([
		["HEAD", "/v1/images/detail", "GET"],
		["POST", "/v1/images/detail", "GET, HEAD"],
		["PUT", "/v1/images/detail", "GET, HEAD"],
		["DELETE", "/v1/images/detail", "GET, HEAD"],
		["HEAD", "/v1/images", "GET, POST"],
	])("answers %s %s with 405 and Allow: %s", async (method, path, allow) => {
		const res = await api(path, { method });
		expect(res.status).toBe(405);
		expect(res.headers.get("allow")).toBe(allow);
	});

	it("needs a token", async () => {
		expect((await api("/v1/images/detail", { as: "anonymous" })).status).toBe(401);
	});
});

describe("list filters", () => {
	const tag = crypto.randomUUID();
	beforeAll(async () => {
		await seed(tag, [
			{ name: "alpha", size: 10, properties: { os: "linux", arch: "x86" } },
			{
				name: "beta",
				status: "queued",
				size: 20,
				disk_format: "qcow2",
				container_format: "ovf",
				min_ram: 512,
				min_disk: 1,
				protected: 1,
				properties: { os: "linux" },
			},
			{
				name: "gamma",
				status: "saving",
				size: null,
				disk_format: "qcow2",
				min_ram: 512,
				min_disk: 2,
				properties: { arch: "x86", hw_disk: "x" },
			},
		]);
	});

	it.each([
		["name=beta", ["beta"]],
		["status=queued", ["beta"]],
		["container_format=bare", ["alpha", "gamma"]],
		["disk_format=qcow2", ["beta", "gamma"]],
		["min_ram=512", ["beta", "gamma"]],
		["min_disk=2", ["gamma"]],
		["min_disk=%2B2", ["gamma"]],
		["size_min=10&size_max=20", ["alpha", "beta"]],
		["size_min=11", ["beta"]],
		["size_max=10", ["alpha"]],
		["protected=true", ["beta"]],
		["protected=TRUE", ["beta"]],
		["protected=0", ["alpha", "gamma"]],
		["property-os=linux", ["alpha", "beta"]],
		["property-os=linux&property-arch=x86", ["alpha"]],
		["property-hw_disk=x", ["gamma"]],
		["property-hw-disk=x", []],
		["property-missing=x", []],
		["is_public=false", ["alpha", "beta", "gamma"]],
		["deleted=1&colour=red", ["alpha", "beta", "gamma"]],
		["name=alpha&name=beta", ["beta"]],
	])("filters %s", async (filter, expected) => {
		const images = await list(`property-batch=${tag}&${filter}&sort_key=name&sort_dir=asc`);
		expect(names(images)).toEqual(expected);
	});
});

describe("list parameter validation", () => {
	const sortKeys = "name, status, container_format, disk_format, size, id, created_at, updated_at";
	it.each([
		["size_min=-1", "size_min", "Bad value passed to filter size_min got -1"],
		["size_max=abc", "size_max", "Bad value passed to filter size_max got abc"],
		["min_ram=1.5", "min_ram", "Bad value passed to filter min_ram got 1.5"],
		["min_disk=x", "min_disk", "Bad value passed to filter min_disk got x"],
		["is_public=maybe", "is_public", "Bad value passed to filter is_public got maybe"],
		["protected=maybe", "protected", "Bad value passed to filter protected got maybe"],
		["protected=", "protected", "Bad value passed to filter protected got "],
		["protected=None", "protected", "protected must be True, or False"],
		["changes-since=", "changes-since", "Unrecognized changes-since value"],
		["changes-since=yesterday", "changes-since", "Unrecognized changes-since value"],
		["changes-since=2012-02-30", "changes-since", "Unrecognized changes-since value"],
		["limit=abc", "limit", "limit param must be an integer"],
		["limit=1.5", "limit", "limit param must be an integer"],
		["limit=-1", "limit", "limit param must be positive"],
		["marker=not-a-uuid", "marker", "Invalid marker format"],
		[`marker=${crypto.randomUUID()}`, "marker", "Invalid marker. Image could not be found."],
		["sort_key=owner", "sort_key", `Unsupported sort_key. Acceptable values: ${sortKeys}`],
		["sort_key=", "sort_key", `Unsupported sort_key. Acceptable values: ${sortKeys}`],
		["sort_dir=up", "sort_dir", "Unsupported sort_dir. Acceptable values: asc, desc"],
	])("refuses %s naming field %s", async (query, field, message) => {
		for (const path of ["/v1/images", "/v1/images/detail"]) {
			const res = await api(`${path}?${query}`);
			expect(res.status).toBe(400);
			expect(await errorOf(res)).toEqual({ code: 400, title: "Bad Request", message, field });
		}
	});
});

describe("list sorting and paging", () => {
	const tag = crypto.randomUUID();
	const sameTime = at(5);
	let rows: Seeded[] = [];
	beforeAll(async () => {
		rows = await seed(tag, [
			{ name: "b", size: 30, disk_format: "raw", created_at: at(1), updated_at: at(9) },
			{ name: null, status: "queued", size: null, disk_format: null, container_format: null },
			{ name: "a", size: 0, disk_format: "qcow2", container_format: "ovf", created_at: sameTime },
			{ name: "b", status: "saving", size: 30, disk_format: "iso", created_at: at(1) },
			{ name: "", size: 7, container_format: "", created_at: sameTime, updated_at: at(8) },
			{ name: "c", status: "queued", size: null, disk_format: "vhd", created_at: sameTime },
			{ name: "a", size: 7, created_at: at(0), updated_at: at(7) },
		]);
	});

	/** The order the contract promises: key (NULL below any value), created_at, id; one way. */
	function expected(key: string, dir: string): string[] {
		const value = (r: Seeded): string | number =>
			key === "size" ? (r.size ?? -1) : (r[key as keyof Seeded] ?? "");
		const tuple = (r: Seeded) => [value(r), r.created_at, r.id];
		const sign = dir === "asc" ? 1 : -1;
		const compare = (a: Seeded, b: Seeded) => {
			const [x, y] = [tuple(a), tuple(b)];
			const i = x.findIndex((v, j) => v !== y[j]);
			return i < 0 ? 0 : x[i] < y[i] ? -sign : sign;
		};
		return ids([...rows].sort(compare));
	}

	it("orders by created_at descending by default, then id descending", async () => {
		expect(ids(await list(`property-batch=${tag}`))).toEqual(expected("created_at", "desc"));
		const lastThree = ids(rows.filter((r) => r.created_at === sameTime))
			.sort()
			.reverse();
		expect(ids(await list(`property-batch=${tag}`)).slice(0, 3)).toEqual(lastThree);
	});

	it("sorts names with NULL and '' first, ties broken by created_at then id", async () => {
		const images = await list(`property-batch=${tag}&sort_key=name&sort_dir=asc`);
		expect(names(images).slice(0, 4)).toEqual([null, "", "a", "a"]);
		expect(images[2].id).toBe(rows[6].id);
	});

	const sortKeys = "name status container_format disk_format size id created_at updated_at";
	it.each(
		sortKeys.split(" ").flatMap((key) => [
			[key, "asc"],
			[key, "desc"],
		]),
	)("sorts by %s %s", async (key, dir) => {
		const images = await list(`property-batch=${tag}&sort_key=${key}&sort_dir=${dir}`);
		expect(ids(images)).toEqual(expected(key, dir));
	});

	it.each([
		["", "created_at", "desc"],
		["&sort_key=name&sort_dir=asc", "name", "asc"],
		["&sort_key=size&sort_dir=desc", "size", "desc"],
		["&sort_key=disk_format&sort_dir=asc", "disk_format", "asc"],
	])("pages 3 + 3 + 1 + an empty page with marker%s", async (sort, key, dir) => {
		const pages: string[][] = [];
		let marker = "";
		for (;;) {
			const page = ids(
				await list(`property-batch=${tag}${sort}&limit=3${marker}`, "owner", "/v1/images"),
			);
			pages.push(page);
			if (page.length < 3) break;
			marker = `&marker=${page[2]}`;
		}
		expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
		expect(pages.flat()).toEqual(expected(key, dir));
		// Nothing follows the last image: what glanceclient gets when the last page was full.
		const last = pages[2][0];
		expect(await list(`property-batch=${tag}${sort}&limit=3&marker=${last}`)).toEqual([]);
	});

	it("accepts a marker in upper case or without dashes", async () => {
		const [first, second] = expected("created_at", "desc");
		for (const marker of [first.toUpperCase(), first.replaceAll("-", "")]) {
			expect(ids(await list(`property-batch=${tag}&limit=1&marker=${marker}`))).toEqual([second]);
		}
	});

	it("applies the default limit of 25, caps at 1000 and answers limit=0 with nothing", async () => {
		const many = crypto.randomUUID();
		await seed(
			many,
			Array.from({ length: 30 }, () => ({})),
		);
		expect(await list(`property-batch=${many}`, "owner", "/v1/images")).toHaveLength(25);
		expect(await list(`property-batch=${many}&limit=5000`)).toHaveLength(30);
		expect(await list(`property-batch=${many}&limit=0`)).toEqual([]);
		expect(await list(`property-batch=${many}&limit=%2B2`)).toHaveLength(2);
		expect(await list(`property-batch=${many}&marker=`)).toHaveLength(25);
	});

	it("refuses a marker the caller cannot see, and a tombstone unless changes-since", async () => {
		const hidden = crypto.randomUUID();
		const [foreign, deleted] = await seed(hidden, [
			{ owner: "tenant-b" },
			{ status: "deleted", deleted: 1 },
		]);
		for (const marker of [foreign.id, deleted.id]) {
			const res = await api(`/v1/images?property-batch=${hidden}&marker=${marker}`);
			expect(res.status).toBe(400);
			expect(await errorOf(res)).toMatchObject({ field: "marker" });
		}
		expect(await list(`property-batch=${hidden}&marker=${foreign.id}`, "admin")).toEqual([]);
		const since = `property-batch=${hidden}&changes-since=2000-01-01&marker=${deleted.id}`;
		expect(await list(since)).toEqual([]);
	});
});

describe("deleted and killed images", () => {
	const tag = crypto.randomUUID();
	beforeAll(async () => {
		await seed(tag, [
			{ name: "active", updated_at: "2030-01-01T09:00:00.000000" },
			{ name: "killed", status: "killed", updated_at: "2030-01-01T10:00:00.000000" },
			{ name: "deleted", status: "deleted", deleted: 1, updated_at: "2030-01-01T10:00:00.500000" },
		]);
	});
	const sorted = "&sort_key=name&sort_dir=asc";

	it("hides them from every caller without changes-since", async () => {
		expect(names(await list(`property-batch=${tag}`))).toEqual(["active"]);
		expect(names(await list(`property-batch=${tag}&is_public=none`, "admin"))).toEqual(["active"]);
	});

	it.each([
		["2000-01-01", ["active", "deleted", "killed"]],
		["2030-01-01T09:00:00", ["deleted", "killed"]],
		["2030-01-01T10:00:00Z", ["deleted"]],
		["2030-01-01T12:00:00%2B02:00", ["deleted"]],
		["2030-01-01T10:00:00.5Z", []],
		["20300101T0500-05:00", ["deleted"]],
		["2000-01-01&status=deleted", ["deleted"]],
	])("shows those updated after changes-since=%s", async (since, expected) => {
		const images = await list(`property-batch=${tag}&changes-since=${since}${sorted}`);
		expect(names(images)).toEqual(expected);
	});
});

describe("list visibility", () => {
	const tag = crypto.randomUUID();
	beforeAll(async () => {
		const rows = await seed(tag, [
			{ name: "a-private" },
			{ name: "b-private", owner: "tenant-b" },
			{ name: "b-shared", owner: "tenant-b" },
			{ name: "b-unshared", owner: "tenant-b" },
			{ name: "public", owner: "tenant-b", is_public: 1 },
			{ name: "ownerless", owner: null },
			{ name: "admin-private", owner: "admin-tenant" },
		]);
		const member = (image: Seeded, deleted: number) =>
			insert("image_members", {
				image_id: image.id,
				member: "tenant-a",
				deleted,
				created_at: at(0),
				updated_at: at(0),
			});
		await env.DB.batch([member(rows[2], 0), member(rows[3], 1)]);
	});

	const ALL = ["a-private", "admin-private", "b-private", "b-shared", "b-unshared", "ownerless"];
	it.each<[Caller, string, string[]]>([
		["owner", "", ["a-private", "b-shared", "ownerless", "public"]],
		["owner", "is_public=false", ["a-private", "b-shared", "ownerless", "public"]],
		["owner", "is_public=none", ["a-private", "b-shared", "ownerless", "public"]],
		["other", "", ["b-private", "b-shared", "b-unshared", "ownerless", "public"]],
		["admin", "", ["admin-private", "ownerless", "public"]],
		["admin", "is_public=True", ["admin-private", "ownerless", "public"]],
		["admin", "is_public=1", ["admin-private", "ownerless", "public"]],
		["admin", "is_public=false", ALL],
		["admin", "is_public=0", ALL],
		["admin", "is_public=none", [...ALL, "public"].sort()],
		["admin", "is_public=NONE", [...ALL, "public"].sort()],
	])("shows %s with '%s': %j", async (caller, query, expected) => {
		for (const path of ["/v1/images", "/v1/images/detail"]) {
			const images = await list(
				`property-batch=${tag}&${query}&sort_key=name&sort_dir=asc`,
				caller,
				path,
			);
			expect(names(images)).toEqual(expected);
		}
	});
});
