import * as v from "valibot";
import { bindingProbes } from "../../src/deps";
import type { Env } from "../../src/env";
import { HealthSchema } from "../../src/schemas/responses";
import type { HealthProbes } from "../../src/services/health";
import { appWith } from "../helpers/app";
import { api } from "../helpers/http";

type Health = v.InferOutput<typeof HealthSchema>;

function healthz(probes: (e: Env) => HealthProbes) {
	return appWith({ deps: { healthProbes: probes } }).api("/healthz", { as: "anonymous" });
}

describe("GET /healthz", () => {
	afterEach(() => vi.restoreAllMocks());

	it("answers 200 without a token when D1 and R2 both answer", async () => {
		const res = await api("/healthz", { as: "anonymous" });
		expect(res.status).toBe(200);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const body = v.parse(HealthSchema, await res.json());
		expect(body).toEqual({
			status: "ok",
			checks: {
				d1: { status: "ok", latency_ms: expect.any(Number) },
				r2: { status: "ok", latency_ms: expect.any(Number) },
			},
		});
	});

	it("answers 503 naming the binding that failed, with its error", async () => {
		vi.spyOn(console, "info").mockImplementation(() => {});
		const res = await healthz((e) => ({
			...bindingProbes(e),
			r2: () => Promise.reject(new Error("R2 bucket unreachable")),
		}));
		expect(res.status).toBe(503);
		const body = v.parse(HealthSchema, await res.json()) as Health;
		expect(body.status).toBe("fail");
		expect(body.checks.d1.status).toBe("ok");
		expect(body.checks.r2).toMatchObject({
			status: "fail",
			error: "Error: R2 bucket unreachable",
		});
	});

	it("fails a D1 that cannot run a query", async () => {
		vi.spyOn(console, "info").mockImplementation(() => {});
		const brokenDb = {
			prepare: () => {
				throw new Error("D1_ERROR: database is unavailable");
			},
		} as unknown as D1Database;
		const res = await healthz((e) => bindingProbes({ ...e, DB: brokenDb }));
		expect(res.status).toBe(503);
		const body = (await res.json()) as Health;
		expect(body.checks.d1).toMatchObject({
			status: "fail",
			error: expect.stringContaining("D1_ERROR"),
		});
		expect(body.checks.r2.status).toBe("ok");
	});

	it("fails a check that does not answer within its timeout", async () => {
		vi.spyOn(console, "info").mockImplementation(() => {});
		const res = await healthz((e) => ({ ...bindingProbes(e), d1: () => new Promise(() => {}) }));
		expect(res.status).toBe(503);
		const body = (await res.json()) as Health;
		expect(body.checks.d1).toMatchObject({
			status: "fail",
			error: "Error: timed out after 2000 ms",
		});
	});

	it("logs a failed check once, as the request's error", async () => {
		const info = vi.spyOn(console, "info").mockImplementation(() => {});
		const error = vi.spyOn(console, "error").mockImplementation(() => {});
		await healthz((e) => ({
			...bindingProbes(e),
			r2: () => Promise.reject(new Error("no bucket")),
		}));
		// A 5xx line goes out as an error, so Workers Logs files it under that level.
		const lines = error.mock.calls.map(([first]) => JSON.parse(String(first)));
		expect(lines).toHaveLength(1);
		expect(lines[0]).toMatchObject({
			level: "error",
			route: "/healthz",
			status: 503,
			error: { message: "health check failed: r2: Error: no bucket" },
		});
		expect(info).not.toHaveBeenCalled();
	});
});
