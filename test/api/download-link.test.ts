import { appWith } from "../helpers/app";
import { randomBytes } from "../helpers/bytes";
import { api, type Caller, errorOf } from "../helpers/http";
import { registerActive, registerImage } from "../helpers/images";

interface Link {
	url: string;
	expires_at: string;
}

async function linkFor(id: string, as: Caller = "owner"): Promise<Link> {
	const res = await api(`/v1/images/${id}/download-link`, { method: "POST", as });
	expect(res.status).toBe(201);
	expect(res.headers.get("cache-control")).toBe("no-store");
	return ((await res.json()) as { link: Link }).link;
}

/** The link's path and query, fetched without a token as a browser would. */
function follow(url: string, init: RequestInit = {}) {
	const { pathname, search } = new URL(url);
	return api(`${pathname}${search}`, { ...init, as: "anonymous" } as never);
}

describe("POST /v1/images/{id}/download-link", () => {
	it("makes a link that downloads the bytes without a token, as an attachment", async () => {
		const data = randomBytes(70_000, 7);
		const image = await registerActive(data, { "x-image-meta-name": "disk one.qcow2" });
		const before = Date.now();
		const link = await linkFor(image.id);
		expect(link.url).toMatch(
			new RegExp(
				`^https://glance\\.test/downloads/${image.id}\\?expires=\\d+&signature=[0-9a-f]{64}$`,
			),
		);
		const expires = Date.parse(link.expires_at);
		expect(expires).toBeGreaterThan(before + 290_000);
		expect(expires).toBeLessThanOrEqual(before + 301_000);

		const res = await follow(link.url);
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toBe("application/octet-stream");
		expect(res.headers.get("content-length")).toBe(String(data.length));
		expect(res.headers.get("content-disposition")).toBe(
			`attachment; filename="disk one.qcow2"; filename*=UTF-8''disk%20one.qcow2`,
		);
		expect(res.headers.get("cache-control")).toBe("private, no-store");
		expect(new Uint8Array(await res.arrayBuffer())).toEqual(data);
	});

	it("is for callers who can see the image: another tenant's private image is 404", async () => {
		const image = await registerActive(randomBytes(100));
		const res = await api(`/v1/images/${image.id}/download-link`, { method: "POST", as: "other" });
		expect(res.status).toBe(404);
		const anonymous = await api(`/v1/images/${image.id}/download-link`, {
			method: "POST",
			as: "anonymous",
		});
		expect(anonymous.status).toBe(401);
	});

	it("refuses an image without data (404) and answers 405 for other methods", async () => {
		const queued = await registerImage();
		const res = await api(`/v1/images/${queued.id}/download-link`, { method: "POST" });
		expect(res.status).toBe(404);
		expect((await errorOf(res)).message).toBe(`Image ${queued.id} is not active`);
		const get = await api(`/v1/images/${queued.id}/download-link`);
		expect(get.status).toBe(405);
		expect(get.headers.get("allow")).toBe("POST");
	});

	it("is valid for that image only, and not once tampered with", async () => {
		const one = await registerActive(randomBytes(100, 1));
		const two = await registerActive(randomBytes(100, 2));
		const link = new URL((await linkFor(one.id)).url);
		const signature = link.searchParams.get("signature") as string;
		const expires = link.searchParams.get("expires") as string;

		const other = await follow(`https://glance.test/downloads/${two.id}${link.search}`);
		expect(other.status).toBe(403);
		expect((await errorOf(other)).message).toBe("This download link is not valid or has expired.");
		const later = await follow(
			`https://glance.test${link.pathname}?expires=${Number(expires) + 3600}&signature=${signature}`,
		);
		expect(later.status).toBe(403);
		const flipped = signature.startsWith("0") ? `1${signature.slice(1)}` : `0${signature.slice(1)}`;
		const forged = await follow(
			`https://glance.test${link.pathname}?expires=${expires}&signature=${flipped}`,
		);
		expect(forged.status).toBe(403);
		const bare = await follow(`https://glance.test${link.pathname}`);
		expect(bare.status).toBe(403);
	});

	it("expires after DOWNLOAD_LINK_SECONDS", async () => {
		const short = appWith({ vars: { DOWNLOAD_LINK_SECONDS: "60" } });
		const image = await registerActive(randomBytes(100));
		const res = await short.api(`/v1/images/${image.id}/download-link`, { method: "POST" });
		expect(res.status).toBe(201);
		const { link } = (await res.json()) as { link: Link };
		const { pathname, search } = new URL(link.url);
		const issued = Date.now();
		const at = (seconds: number) => {
			vi.useFakeTimers({ toFake: ["Date"], now: issued + seconds * 1000 });
			return short.api(`${pathname}${search}`, { as: "anonymous" });
		};
		try {
			expect((await at(55)).status).toBe(200);
			expect((await at(65)).status).toBe(403);
		} finally {
			vi.useRealTimers();
		}
	});

	it("is dead once the image is deleted", async () => {
		const image = await registerActive(randomBytes(100));
		const link = await linkFor(image.id);
		expect((await api(`/v1/images/${image.id}`, { method: "DELETE" })).status).toBe(200);
		const res = await follow(link.url);
		expect(res.status).toBe(404);
	});

	it("answers 501 in words when no secret is configured", async () => {
		const unsigned = appWith({ vars: { DOWNLOAD_LINK_SECRET: "" } });
		const image = await registerActive(randomBytes(100));
		const res = await unsigned.api(`/v1/images/${image.id}/download-link`, { method: "POST" });
		expect(res.status).toBe(501);
		expect((await errorOf(res)).message).toMatch(/DOWNLOAD_LINK_SECRET/);
	});
});
