import { env } from "cloudflare:workers";
import { api } from "../helpers/http";
import { registerImage } from "../helpers/images";

describe("HEAD /v1/images/{id}", () => {
	it("reports the metadata as x-image-meta-* headers with an empty body", async () => {
		const { id } = await registerImage({
			min_ram: 64,
			properties: { os_distro: "cirros", "hw x": "a b", note: "50%", ünï: "çødé" },
		});
		const res = await api(`/v1/images/${id}`, { method: "HEAD" });
		expect(res.status).toBe(200);
		expect(await res.text()).toBe("");
		const h = res.headers;
		expect(h.get("content-type")).not.toMatch(/json/);
		expect(h.get("x-image-meta-id")).toBe(id);
		expect(h.get("x-image-meta-name")).toBe("cirros");
		expect(h.get("x-image-meta-status")).toBe("queued");
		expect(h.get("x-image-meta-size")).toBe("0");
		expect(h.get("x-image-meta-min_ram")).toBe("64");
		expect(h.get("x-image-meta-is_public")).toBe("False");
		expect(h.get("x-image-meta-protected")).toBe("False");
		expect(h.get("x-image-meta-deleted")).toBe("False");
		expect(h.get("x-image-meta-owner")).toBe("tenant-a");
		expect(h.get("x-image-meta-created_at")).toMatch(
			/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/,
		);
		expect(h.get("x-image-meta-property-os_distro")).toBe("cirros");
		// Names are always tokens (glanceclient hangs on a raw space); values keep printable ASCII.
		expect(h.get("x-image-meta-property-hw%20x")).toBe("a b");
		expect(h.get("x-image-meta-property-note")).toBe("50%");
		expect(h.get("x-image-meta-property-%C3%BCn%C3%AF")).toBe("%C3%A7%C3%B8d%C3%A9");
		// Null fields are absent, and the location never leaks.
		expect(h.has("x-image-meta-checksum")).toBe(false);
		expect(h.has("x-image-meta-deleted_at")).toBe(false);
		expect(h.has("x-image-meta-location")).toBe(false);
		expect(h.has("etag")).toBe(false);
		expect(h.get("x-openstack-request-id")).toMatch(/^req-/);
	});

	it("round-trips percent-encoded names and values", async () => {
		const res = await api("/v1/images", {
			method: "POST",
			headers: {
				"x-image-meta-name": "caf%C3%A9",
				"x-image-meta-disk_format": "raw",
				"x-image-meta-container_format": "bare",
				"x-image-meta-property-%C3%BCn%C3%AF": "%C3%A7%C3%B8d%C3%A9",
			},
		});
		const { image } = (await res.json()) as {
			image: { id: string; name: string; properties: object };
		};
		expect(image.name).toBe("café");
		expect(image.properties).toEqual({ ünï: "çødé" });
		const head = await api(`/v1/images/${image.id}`, { method: "HEAD" });
		expect(decodeURIComponent(head.headers.get("x-image-meta-name") ?? "")).toBe("café");
	});

	it("answers 404 for an unknown id, a malformed id and another tenant's private image", async () => {
		const { id } = await registerImage();
		for (const path of [`/v1/images/${crypto.randomUUID()}`, "/v1/images/not-an-id"]) {
			const res = await api(path, { method: "HEAD" });
			expect(res.status).toBe(404);
			expect(await res.text()).toBe("");
		}
		expect((await api(`/v1/images/${id}`, { method: "HEAD", as: "other" })).status).toBe(404);
	});

	it("shows public images and images shared with the caller to other tenants", async () => {
		const { id: publicId } = await registerImage({ is_public: true }, "admin");
		expect((await api(`/v1/images/${publicId}`, { method: "HEAD", as: "other" })).status).toBe(200);

		const { id: sharedId } = await registerImage();
		await env.DB.prepare(
			"INSERT INTO image_members (image_id, member, created_at, updated_at) VALUES (?1, 'tenant-b', 'now', 'now')",
		)
			.bind(sharedId)
			.run();
		expect((await api(`/v1/images/${sharedId}`, { method: "HEAD", as: "other" })).status).toBe(200);
	});

	it("lets admins see any image and deleted tombstones; others get 404 for tombstones", async () => {
		const { id } = await registerImage();
		expect((await api(`/v1/images/${id}`, { method: "HEAD", as: "admin" })).status).toBe(200);
		await env.DB.prepare(
			"UPDATE images SET status = 'deleted', deleted = 1, deleted_at = updated_at WHERE id = ?1",
		)
			.bind(id)
			.run();
		const admin = await api(`/v1/images/${id}`, { method: "HEAD", as: "admin" });
		expect(admin.status).toBe(200);
		expect(admin.headers.get("x-image-meta-status")).toBe("deleted");
		expect(admin.headers.get("x-image-meta-deleted")).toBe("True");
		expect((await api(`/v1/images/${id}`, { method: "HEAD" })).status).toBe(404);
	});

	it("accepts the id in upper case and via the /v1.0 and /v1.1 prefixes", async () => {
		const { id } = await registerImage();
		for (const path of [
			`/v1/images/${id.toUpperCase()}`,
			`/v1.0/images/${id}`,
			`/v1.1/images/${id}`,
		]) {
			expect((await api(path, { method: "HEAD" })).status).toBe(200);
		}
	});
});
