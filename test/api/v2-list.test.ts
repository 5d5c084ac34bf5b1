import { env } from "cloudflare:workers";
import { api, errorOf } from "../helpers/http";
import { createV2, listV2 } from "../helpers/v2";

/** A fresh tag for each test: lists filtered by it see only that test's images. */
const freshTag = () => `t-${crypto.randomUUID()}`;

async function addMember(id: string, member: string, status: string) {
	await env.DB.prepare(
		`INSERT INTO image_members (image_id, member, can_share, status, created_at, updated_at, deleted)
		 VALUES (?1, ?2, 0, ?3, '2024-01-01T00:00:00.000000', '2024-01-01T00:00:00.000000', 0)`,
	)
		.bind(id, member, status)
		.run();
}

describe("GET /v2/images", () => {
	it("lists with first, schema and no next when the page is not full", async () => {
		const tag = freshTag();
		const image = await createV2({ name: "one", tags: [tag] });
		const body = await listV2(`?tag=${tag}`);
		expect(body.images.map((i) => i.id)).toEqual([image.id]);
		expect(body.first).toBe(`/v2/images?tag=${tag}`);
		expect(body.schema).toBe("/v2/schemas/images");
		expect(body.next).toBeUndefined();
	});

	it("pages with limit and marker; next is there whenever the page is full", async () => {
		const tag = freshTag();
		const ids: string[] = [];
		for (const name of ["c", "a", "b"]) ids.push((await createV2({ name, tags: [tag] })).id);
		const page1 = await listV2(`?tag=${tag}&sort=name:asc&limit=2`);
		expect(page1.images.map((i) => i.name)).toEqual(["a", "b"]);
		expect(page1.next).toBe(
			`/v2/images?tag=${tag}&sort=name%3Aasc&limit=2&marker=${page1.images[1].id}`,
		);
		const page2 = await listV2((page1.next as string).slice("/v2/images".length));
		expect(page2.images.map((i) => i.name)).toEqual(["c"]);
		expect(page2.next).toBeUndefined();
		expect(page2.first).toBe(`/v2/images?tag=${tag}&sort=name%3Aasc&limit=2`);
		const classic = await listV2(`?tag=${tag}&sort_key=name&sort_dir=desc&limit=200`);
		expect(classic.images.map((i) => i.name)).toEqual(["c", "b", "a"]);
		const byDefault = await listV2(`?tag=${tag}`);
		expect(byDefault.images.map((i) => i.id)).toEqual([...ids].reverse());
	});

	it("sorts by several keys in several directions", async () => {
		const tag = freshTag();
		await createV2({ name: "x", disk_format: "raw", tags: [tag] });
		await createV2({ name: "y", disk_format: "raw", tags: [tag] });
		await createV2({ name: "z", disk_format: "qcow2", tags: [tag] });
		const body = await listV2(`?tag=${tag}&sort=disk_format:asc,name:desc`);
		expect(body.images.map((i) => i.name)).toEqual(["z", "y", "x"]);
		const paged = await listV2(
			`?tag=${tag}&sort=disk_format:asc,name:desc&limit=1&marker=${body.images[1].id}`,
		);
		expect(paged.images.map((i) => i.name)).toEqual(["x"]);
	});

	it("filters by name, in:, properties, tags, size range, protected, status", async () => {
		const tag = freshTag();
		const a = await createV2({
			name: "alpha",
			tags: [tag, "extra"],
			os_distro: "debian",
			protected: true,
		});
		const b = await createV2({ name: "beta,1", tags: [tag] });
		const names = async (q: string) =>
			(await listV2(`?tag=${tag}&${q}`)).images.map((i) => i.name).sort();
		expect(await names("name=alpha")).toEqual(["alpha"]);
		expect(await names('name=in:alpha,"beta,1"')).toEqual(["alpha", "beta,1"]);
		expect(await names("os_distro=debian")).toEqual(["alpha"]);
		expect(await names("tag=extra")).toEqual(["alpha"]);
		expect(await names("protected=true")).toEqual(["alpha"]);
		expect(await names("protected=false")).toEqual(["beta,1"]);
		expect(await names("status=queued")).toEqual(["alpha", "beta,1"]);
		expect(await names(`id=${b.id}`)).toEqual(["beta,1"]);
		expect(await names("size_min=1")).toEqual([]);
		expect(await names("created_at=gte:2000-01-01T00:00:00Z")).toEqual(["alpha", "beta,1"]);
		expect(await names("created_at=lt:2000-01-01T00:00:00Z")).toEqual([]);
		expect(a.id).toBeTruthy();
	});

	it("hides os_hidden images unless os_hidden=true, which lists only them", async () => {
		const tag = freshTag();
		await createV2({ name: "shown", tags: [tag] });
		await createV2({ name: "hidden", tags: [tag], os_hidden: true });
		expect((await listV2(`?tag=${tag}`)).images.map((i) => i.name)).toEqual(["shown"]);
		expect((await listV2(`?tag=${tag}&os_hidden=True`)).images.map((i) => i.name)).toEqual([
			"hidden",
		]);
	});

	it("lists by visibility: others' community only when asked, members by status", async () => {
		const tag = freshTag();
		const community = await createV2({ name: "community", visibility: "community", tags: [tag] });
		const priv = await createV2({ name: "private", visibility: "private", tags: [tag] });
		const pending = await createV2({ name: "pending", tags: [tag] });
		const accepted = await createV2({ name: "accepted", tags: [tag] });
		await addMember(pending.id, "tenant-b", "pending");
		await addMember(accepted.id, "tenant-b", "accepted");
		await addMember(priv.id, "tenant-b", "accepted");
		const names = async (q: string, as: "owner" | "other" | "admin" = "other") =>
			(await listV2(`?tag=${tag}${q}`, as)).images.map((i) => i.name).sort();
		expect(await names("")).toEqual(["accepted"]);
		expect(await names("&visibility=community")).toEqual(["community"]);
		expect(await names("&visibility=all")).toEqual(["accepted", "community"]);
		expect(await names("&member_status=pending")).toEqual(["pending"]);
		expect(await names("&member_status=all&visibility=shared")).toEqual(["accepted", "pending"]);
		expect(await names("", "owner")).toEqual(["accepted", "community", "pending", "private"]);
		expect(await names("&visibility=private", "owner")).toEqual(["private"]);
		expect(await names("", "admin")).toEqual(["accepted", "pending", "private"]);
		expect(community.id).toBeTruthy();
	});

	it.each([
		["?limit=x", "limit param must be an integer"],
		["?limit=-1", "limit param must be positive"],
		["?sort_key=owner", "Invalid sort key: owner"],
		["?sort_dir=up", "Invalid sort direction: up"],
		["?sort=name&sort_key=name", "Old and new sorting syntax cannot be combined"],
		["?visibility=everyone", "Invalid visibility value: everyone"],
		["?member_status=maybe", "Invalid status: maybe"],
		["?os_hidden=maybe", "Invalid value 'maybe' for 'os_hidden' filter"],
		["?protected=False", "Invalid value 'False' for 'protected' filter"],
		["?name=gt:x", "Unable to filter by unknown operator 'gt'."],
		["?size_min=x", "Unable to filter on a range with a non-numeric value."],
		["?created_at=yesterday", 'Bad "created_at" query filter format.'],
		["?changes-since=2020-01-01", 'The "changes-since" filter is no longer available on v2.'],
		[`?marker=${crypto.randomUUID()}`, "marker"],
	])("refuses %s with 400", async (query, message) => {
		const res = await api(`/v2/images${query}`);
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toContain(
			message === "marker" ? "Invalid marker" : message,
		);
	});

	it("refuses an invisible marker with 403", async () => {
		const priv = await createV2({ visibility: "private" });
		expect((await api(`/v2/images?marker=${priv.id}`, { as: "other" })).status).toBe(403);
	});

	it("caps limit at 1000 and answers limit=0 with an empty page", async () => {
		const body = await listV2("?limit=0");
		expect(body.images).toEqual([]);
	});
});
