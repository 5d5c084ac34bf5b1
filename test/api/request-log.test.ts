import type { MockInstance } from "vitest";
import type { ImageRepository } from "../../src/metadata/image-repository";
import type { RequestLogLine } from "../../src/middleware/request-log";
import { appWith } from "../helpers/app";
import { randomBytes } from "../helpers/bytes";
import { metaHeaders, REGISTRATION } from "../helpers/fixtures";
import { api, postJson, TOKENS } from "../helpers/http";

const LINE_KEYS = [
	"bytes_in",
	"bytes_out",
	"duration_ms",
	"image_id",
	"level",
	"method",
	"msg",
	"request_id",
	"route",
	"status",
	"tenant",
];

let log: MockInstance<typeof console.log>;
let info: MockInstance<typeof console.info>;
let error: MockInstance<typeof console.error>;

beforeEach(() => {
	log = vi.spyOn(console, "log").mockImplementation(() => {});
	info = vi.spyOn(console, "info").mockImplementation(() => {});
	error = vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** Every console line written so far, as text. */
const everything = () =>
	[...log.mock.calls, ...info.mock.calls, ...error.mock.calls]
		.map((args) => args.map(String).join(" "))
		.join("\n");

/** The request lines logged so far, in order; each was written with its level's console method. */
function requestLines(): RequestLogLine[] {
	const written = [
		...info.mock.calls.map(([text], i) => ({
			text,
			at: info.mock.invocationCallOrder[i],
			as: "info",
		})),
		...error.mock.calls.map(([text], i) => ({
			text,
			at: error.mock.invocationCallOrder[i],
			as: "error",
		})),
	].sort((a, b) => a.at - b.at);
	const lines: RequestLogLine[] = [];
	for (const { text, as } of written) {
		let line: RequestLogLine | null = null;
		try {
			line = JSON.parse(String(text)) as RequestLogLine;
		} catch {
			continue;
		}
		if (line?.msg !== "request") continue;
		expect(as).toBe(line.level);
		lines.push(line);
	}
	expect(log).not.toHaveBeenCalled();
	return lines;
}

async function onlyLine(): Promise<RequestLogLine> {
	const lines = requestLines();
	expect(lines).toHaveLength(1);
	return lines[0];
}

describe("request log", () => {
	it("writes one JSON line per request with the route pattern, tenant, image and sizes", async () => {
		const created = await postJson("/v1/images", { ...REGISTRATION, disk_format: "raw" });
		const { image } = (await created.json()) as { image: { id: string } };
		info.mockClear();

		const data = randomBytes(3000);
		const uploaded = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "content-type": "application/octet-stream", "content-length": "3000" },
			body: data,
		});
		expect(uploaded.status).toBe(200);
		await uploaded.arrayBuffer();
		info.mockClear();

		const res = await api(`/v1/images/${image.id}`);
		expect(res.status).toBe(200);
		await res.arrayBuffer();
		const line = await onlyLine();
		expect(Object.keys(line).sort()).toEqual(LINE_KEYS);
		expect(line).toEqual({
			level: "info",
			msg: "request",
			request_id: res.headers.get("x-openstack-request-id"),
			method: "GET",
			route: "/v1/images/:id",
			status: 200,
			duration_ms: expect.any(Number),
			tenant: "tenant-a",
			image_id: image.id,
			bytes_in: 0,
			bytes_out: 3000,
		});
	});

	it("names a new image from the registration and counts the JSON body", async () => {
		const body = JSON.stringify(REGISTRATION);
		const res = await postJson("/v1/images", body, {
			headers: { "content-length": `${body.length}` },
		});
		const { image } = (await res.json()) as { image: { id: string } };
		expect(await onlyLine()).toMatchObject({
			method: "POST",
			route: "/v1/images",
			status: 202,
			image_id: image.id,
			bytes_in: body.length,
		});
	});

	it("logs the pattern of the alias prefixes, HEAD, and null for unknown routes", async () => {
		const id = crypto.randomUUID();
		await api(`/v1.1/images/${id}`, { method: "HEAD" });
		await (await api("/v1/nothing/here")).arrayBuffer();
		await (await api("/healthz", { as: "anonymous" })).arrayBuffer();
		const [head, unknown, health] = requestLines();
		expect(head).toMatchObject({
			method: "HEAD",
			route: "/v1.1/images/:id",
			status: 404,
			image_id: id,
		});
		expect(unknown).toMatchObject({ route: null, status: 404, image_id: null, tenant: "tenant-a" });
		expect(health).toMatchObject({ route: "/healthz", status: 200, tenant: null });
	});

	it("names the field at fault for a 4xx, without the message", async () => {
		const res = await postJson("/v1/images", { ...REGISTRATION, disk_format: "floppy" });
		expect(res.status).toBe(400);
		expect(await onlyLine()).toMatchObject({ status: 400, error: { field: "disk_format" } });
	});

	it("never logs a token, valid or not, nor request headers", async () => {
		const secret = "secret-guess-5f2c";
		await (
			await api("/v1/images/detail", { as: "anonymous", headers: { "x-auth-token": secret } })
		).arrayBuffer();
		await (
			await api("/v1/images/detail", { headers: { "x-image-meta-name": "hdr" } })
		).arrayBuffer();
		const [refused, allowed] = requestLines();
		expect(refused).toMatchObject({ status: 401, tenant: null });
		expect(allowed).toMatchObject({ status: 200, tenant: "tenant-a" });
		const text = everything();
		for (const token of [secret, ...Object.values(TOKENS)]) expect(text).not.toContain(token);
		expect(text).not.toContain("x-image-meta-name");
	});

	it("logs a 5xx once, at level error, with the error and its cause", async () => {
		const failing = () =>
			({
				find: () => {
					throw new Error("D1 is down", { cause: new Error("connection refused") });
				},
			}) as unknown as ImageRepository;
		const app = appWith({ deps: { imageRepository: failing } });
		const res = await app.api(`/v1/images/${crypto.randomUUID()}`);
		expect(res.status).toBe(500);
		expect(await res.text()).not.toContain("D1 is down");
		const line = await onlyLine();
		expect(line).toMatchObject({
			level: "error",
			status: 500,
			route: "/v1/images/:id",
			error: {
				name: "Error",
				message: "D1 is down",
				stack: expect.stringContaining("D1 is down"),
				cause: { name: "Error", message: "connection refused" },
			},
		});
		// The request line is the only error written: the failure is not logged twice.
		expect(error).toHaveBeenCalledTimes(1);
	});

	it("logs an upload's byte count from Content-Length", async () => {
		const res = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({
				"x-image-meta-disk_format": "raw",
				"content-type": "application/octet-stream",
				"content-length": "5000",
			}),
			body: randomBytes(5000),
		});
		expect(res.status).toBe(201);
		await res.arrayBuffer();
		expect(await onlyLine()).toMatchObject({ status: 201, bytes_in: 5000, tenant: "tenant-a" });
	});
});

describe("REQUEST_LOG=errors", () => {
	it("logs only answers of 500 and above", async () => {
		const quiet = { REQUEST_LOG: "errors" };
		const ok = await appWith({ vars: quiet }).api("/versions", { as: "anonymous" });
		expect(ok.status).toBe(200);
		const missing = await appWith({ vars: quiet }).api(`/v1/images/${crypto.randomUUID()}`);
		expect(missing.status).toBe(404);
		expect(requestLines()).toHaveLength(0);

		const failing = () =>
			({
				find: () => Promise.reject(new Error("D1 is down")),
			}) as unknown as ImageRepository;
		const broken = await appWith({ vars: quiet, deps: { imageRepository: failing } }).api(
			`/v1/images/${crypto.randomUUID()}`,
		);
		expect(broken.status).toBe(500);
		expect(requestLines()).toMatchObject([{ status: 500, level: "error" }]);
	});
});
