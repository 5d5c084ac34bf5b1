import { randomBytes } from "../helpers/bytes";
import { api, errorOf } from "../helpers/http";
import { createV2, PATCH_V20, patchV2, showV2, uploadV2, type V2Image } from "../helpers/v2";

async function patched(
	id: string,
	ops: unknown,
	as: "owner" | "admin" = "owner",
): Promise<V2Image> {
	const res = await patchV2(id, ops, { as });
	expect(res.status, await res.clone().text()).toBe(200);
	expect(res.headers.get("content-type")).toBe("application/json");
	return (await res.json()) as V2Image;
}

describe("PATCH /v2/images/{id}", () => {
	it("replaces base attributes, adds/replaces/removes custom properties (v2.1)", async () => {
		const image = await createV2({ name: "old", os_distro: "debian", extra: "x" });
		const out = await patched(image.id, [
			{ op: "replace", path: "/name", value: "new" },
			{ op: "replace", path: "/min_ram", value: 512 },
			{ op: "add", path: "/protected", value: true },
			{ op: "add", path: "/hw_disk_bus", value: "virtio" },
			{ op: "add", path: "/os_distro", value: "ubuntu" },
			{ op: "remove", path: "/extra" },
			{ op: "replace", path: "/visibility", value: "private" },
			{ op: "replace", path: "/os_hidden", value: true },
			{ op: "replace", path: "/disk_format", value: "raw" },
		]);
		expect(out).toMatchObject({
			name: "new",
			min_ram: 512,
			protected: true,
			hw_disk_bus: "virtio",
			os_distro: "ubuntu",
			visibility: "private",
			os_hidden: true,
			disk_format: "raw",
		});
		expect(out).not.toHaveProperty("extra");
		expect(String(out.updated_at) >= String(image.updated_at)).toBe(true);
		// The v1 view of the same image.
		const v1 = await api(`/v1/images/${image.id}`, { method: "HEAD" });
		expect(v1.headers.get("x-image-meta-name")).toBe("new");
		expect(v1.headers.get("x-image-meta-is_public")).toBe("False");
	});

	it("replaces the whole tag list, deduplicated", async () => {
		const image = await createV2({ tags: ["a"] });
		const out = await patched(image.id, [{ op: "replace", path: "/tags", value: ["b", "c", "b"] }]);
		expect(out.tags.sort()).toEqual(["b", "c"]);
		expect((await showV2(image.id)).tags.sort()).toEqual(["b", "c"]);
	});

	it("takes the draft v2.0 form, where add of something present conflicts", async () => {
		const image = await createV2({ os_distro: "debian" });
		const v20 = (ops: unknown) =>
			patchV2(image.id, ops, { headers: { "content-type": PATCH_V20 } });
		const ok = await v20([
			{ replace: "/name", value: "x" },
			{ add: "/newkey", value: "v" },
		]);
		expect(ok.status).toBe(200);
		expect(await ok.json()).toMatchObject({ name: "x", newkey: "v" });
		expect((await v20([{ add: "/os_distro", value: "u" }])).status).toBe(409);
		expect((await v20([{ add: "/x", remove: "/y" }])).status).toBe(400);
	});

	it("answers [] with the image unchanged", async () => {
		const image = await createV2({ name: "same" });
		expect((await patched(image.id, [])).name).toBe("same");
	});

	it.each([
		[
			[{ op: "replace", path: "/status", value: "active" }],
			403,
			"Attribute 'status' is read-only.",
		],
		[[{ op: "remove", path: "/size" }], 403, "Attribute 'size' is read-only."],
		[
			[{ op: "add", path: "/os_glance_lock", value: "1" }],
			403,
			"Attribute 'os_glance_lock' is reserved.",
		],
		[[{ op: "add", path: "/locations/-", value: {} }], 403, "locations"],
		[[{ op: "remove", path: "/name" }], 403, "Property name may not be removed."],
		[[{ op: "replace", path: "/nothere", value: "x" }], 409, "Property nothere does not exist."],
		[[{ op: "remove", path: "/nothere" }], 409, "Property nothere does not exist."],
		[[{ op: "test", path: "/name", value: "x" }], 400, "Invalid operation: `test`"],
		[[{ op: "add", path: "/name" }], 400, 'Operation "add" requires a member named "value".'],
		[
			[{ op: "add", path: "/tags/0", value: "x" }],
			400,
			"Invalid JSON pointer for this resource: '/tags/0'",
		],
		[[{ op: "add", path: "name", value: "x" }], 400, "Pointer"],
		[[{ op: "replace", path: "/min_ram", value: -1 }], 400, "Cannot be a negative value"],
		[[{ op: "replace", path: "/min_ram", value: "1" }], 400, "does not match schema"],
		[[{ op: "replace", path: "/visibility", value: "public" }], 403, "publicize_image"],
		[
			[{ op: "replace", path: "/owner", value: "tenant-b" }],
			403,
			"Owner can't be updated by non admin.",
		],
		[[{ op: "add", path: "/os_distro", value: 3 }], 400, "does not match schema"],
		[[{ op: "add", path: "/kernel_id", value: "nope" }], 400, "does not match schema"],
		[{ op: "add" }, 400, "Request body must be a JSON array of operation objects."],
		[["x"], 400, "Operations must be JSON objects."],
	])("refuses %j with %i", async (ops, status, message) => {
		const image = await createV2({ name: "n" });
		const res = await patchV2(image.id, ops);
		expect(res.status).toBe(status);
		expect((await errorOf(res)).message).toContain(message);
	});

	it("checks the patch before looking the image up", async () => {
		const missing = crypto.randomUUID();
		expect((await patchV2(missing, [{ op: "replace", path: "/id", value: missing }])).status).toBe(
			403,
		);
		expect((await patchV2(missing, [{ op: "replace", path: "/name", value: "x" }])).status).toBe(
			404,
		);
	});

	it("refuses other media types with 415 and Accept-Patch", async () => {
		const image = await createV2({});
		const res = await patchV2(image.id, [], {
			headers: { "content-type": "application/json-patch+json" },
		});
		expect(res.status).toBe(415);
		expect(res.headers.get("accept-patch")).toBe(
			"application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
		);
	});

	it("lets only the owner or an admin change an image", async () => {
		const image = await createV2({ visibility: "community" });
		const res = await patchV2(image.id, [{ op: "replace", path: "/name", value: "x" }], {
			as: "other",
		});
		expect(res.status).toBe(403);
		const priv = await createV2({ visibility: "private" });
		expect(
			(await patchV2(priv.id, [{ op: "replace", path: "/name", value: "x" }], { as: "other" }))
				.status,
		).toBe(404);
		expect(
			(await patched(image.id, [{ op: "replace", path: "/owner", value: "tenant-b" }], "admin"))
				.owner,
		).toBe("tenant-b");
	});

	it("changes formats only while queued; other fields in any status", async () => {
		const v1 = await createV2({ disk_format: "raw", container_format: "bare" });
		expect((await uploadV2(v1.id, randomBytes(1024))).status).toBe(204);
		const res = await patchV2(v1.id, [{ op: "replace", path: "/disk_format", value: "qcow2" }]);
		expect(res.status).toBe(403);
		expect((await errorOf(res)).message).toBe(
			"Attribute disk_format can be only replaced for a queued image.",
		);
		expect((await patched(v1.id, [{ op: "replace", path: "/name", value: "still" }])).name).toBe(
			"still",
		);
	});

	it("stores Nova's null kernel_id and shows it as null", async () => {
		const image = await createV2({});
		const out = await patched(image.id, [{ op: "add", path: "/kernel_id", value: null }]);
		expect(out.kernel_id).toBeNull();
	});

	it("refuses properties over the quota with 413", async () => {
		const image = await createV2({});
		const ops = Array.from({ length: 11 }, (_, i) => ({ op: "add", path: `/k${i}`, value: "v" }));
		expect((await patchV2(image.id, ops)).status).toBe(413);
	});
});

describe("PUT/DELETE /v2/images/{id}/tags/{tag}", () => {
	it("adds (idempotently) and removes tags with 204", async () => {
		const image = await createV2({});
		const put = await api(`/v2/images/${image.id}/tags/gabe%40example.com`, { method: "PUT" });
		expect(put.status).toBe(204);
		expect(await put.text()).toBe("");
		expect(
			(await api(`/v2/images/${image.id}/tags/gabe%40example.com`, { method: "PUT" })).status,
		).toBe(204);
		expect((await showV2(image.id)).tags).toEqual(["gabe@example.com"]);
		expect(
			(await api(`/v2/images/${image.id}/tags/gabe%40example.com`, { method: "DELETE" })).status,
		).toBe(204);
		expect((await showV2(image.id)).tags).toEqual([]);
		expect((await api(`/v2/images/${image.id}/tags/absent`, { method: "DELETE" })).status).toBe(
			404,
		);
	});

	it("refuses long tags (400), non-owners (403) and invisible images (404)", async () => {
		const image = await createV2({ visibility: "community" });
		expect(
			(await api(`/v2/images/${image.id}/tags/${"x".repeat(256)}`, { method: "PUT" })).status,
		).toBe(400);
		expect(
			(await api(`/v2/images/${image.id}/tags/t`, { method: "PUT", as: "other" })).status,
		).toBe(403);
		const priv = await createV2({ visibility: "private" });
		expect((await api(`/v2/images/${priv.id}/tags/t`, { method: "PUT", as: "other" })).status).toBe(
			404,
		);
	});

	it("keeps tags out of the v1 view and off a deleted image", async () => {
		const image = await createV2({ tags: ["t"] });
		const v1 = await api(`/v1/images/${image.id}`, { headers: { accept: "application/json" } });
		expect(await v1.json()).not.toHaveProperty("image.tags");
		expect((await api(`/v2/images/${image.id}`, { method: "DELETE" })).status).toBe(204);
		expect((await api(`/v2/images/${image.id}/tags/u`, { method: "PUT" })).status).toBe(404);
	});
});
