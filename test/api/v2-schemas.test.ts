import { api } from "../helpers/http";

type Schema = {
	name: string;
	properties: Record<
		string,
		{ type?: unknown; enum?: unknown[]; is_base?: boolean; readOnly?: boolean }
	>;
	additionalProperties?: unknown;
	links?: { rel: string; href: string }[];
};

async function schema(name: string): Promise<Schema> {
	const res = await api(`/v2/schemas/${name}`);
	expect(res.status).toBe(200);
	expect(res.headers.get("content-type")).toBe("application/json");
	return (await res.json()) as Schema;
}

describe("GET /v2/schemas/*", () => {
	it("describes the image as glanceclient and Nova read it", async () => {
		const image = await schema("image");
		expect(image.name).toBe("image");
		expect(image.additionalProperties).toEqual({ type: "string" });
		expect(image.links?.map((l) => l.rel)).toEqual(["self", "enclosure", "describedby"]);
		expect(image).not.toHaveProperty("type");
		expect(image.properties.visibility.enum).toEqual(["public", "private", "shared", "community"]);
		expect(image.properties.disk_format.enum).toContain(null);
		expect(image.properties.disk_format.enum).toContain("qcow2");
		expect(image.properties.status.readOnly).toBe(true);
		expect(image.properties.min_ram.type).toBe("integer");
		for (const key of ["kernel_id", "ramdisk_id", "os_distro", "description", "instance_uuid"]) {
			expect(image.properties[key].is_base, key).toBe(false);
		}
		expect(image.properties.name).not.toHaveProperty("is_base");
		// glanceclient turns schema keys into options; `stores` would clash with its --stores.
		expect(image.properties).not.toHaveProperty("stores");
	});

	it("describes lists and members", async () => {
		const images = await schema("images");
		expect(Object.keys(images.properties)).toEqual(["images", "first", "next", "schema"]);
		const member = await schema("member");
		expect(Object.keys(member.properties).sort()).toEqual([
			"created_at",
			"image_id",
			"member_id",
			"schema",
			"status",
			"updated_at",
		]);
		expect(member).not.toHaveProperty("links");
		const members = await schema("members");
		expect(Object.keys(members.properties)).toEqual(["members", "schema"]);
	});

	it("answers 404 for metadefs schemas, which glanceclient tolerates", async () => {
		expect((await api("/v2/schemas/metadefs/namespace")).status).toBe(404);
	});
});

describe("GET /v2/info/*", () => {
	it("lists glance-direct as the import method, no stores, Glance's four usage entries", async () => {
		const imports = await api("/v2/info/import");
		expect(await imports.json()).toEqual({
			"import-methods": {
				description: "Import methods available.",
				type: "array",
				value: ["glance-direct"],
			},
		});
		const stores = await api("/v2/info/stores");
		expect(stores.status).toBe(404);
		const { usage } = (await (await api("/v2/info/usage")).json()) as {
			usage: Record<string, unknown>;
		};
		expect(Object.keys(usage).sort()).toEqual([
			"image_count_total",
			"image_count_uploading",
			"image_size_total",
			"image_stage_total",
		]);
	});
});
