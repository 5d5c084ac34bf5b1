import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { jsonContent, requestIdHeader } from "../openapi/components";
import { describe } from "../openapi/describe";

/** One cheap round trip to a binding; resolves when it answered, whatever the answer. */
export type HealthProbe = () => Promise<unknown>;
export interface HealthProbes {
	d1: HealthProbe;
	r2: HealthProbe;
}

/** A key no image uses: a HEAD of it is R2's cheapest call (a Class B operation). */
const R2_PROBE_KEY = "healthz/probe";
const PROBE_TIMEOUT_MS = 2_000;

/** The real probes: a one-row read of the images table (so a D1 without the migrations fails) and a HEAD of a fixed key on R2. */
export function bindingProbes(env: Env): HealthProbes {
	return {
		d1: () => env.DB.prepare("SELECT 1 FROM images LIMIT 1").first(),
		r2: () => env.IMAGES.head(R2_PROBE_KEY),
	};
}

interface CheckResult {
	status: "ok" | "fail";
	latency_ms: number;
	error?: string;
}

async function check(probe: HealthProbe): Promise<CheckResult> {
	const started = Date.now();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(
			() => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)),
			PROBE_TIMEOUT_MS,
		);
	});
	try {
		await Promise.race([probe(), timeout]);
		return { status: "ok", latency_ms: Date.now() - started };
	} catch (err) {
		const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
		return { status: "fail", latency_ms: Date.now() - started, error: error.slice(0, 300) };
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}

const getHealthDoc = describe({
	operationId: "getHealth",
	summary: "Health: can the worker reach D1 and R2?",
	description:
		"Runs `SELECT 1` on D1 and a HEAD of a fixed key on R2, each with a short timeout. Not cached.",
	tags: ["service"],
	security: [],
	responses: {
		"200": {
			description: "Both bindings answered.",
			headers: requestIdHeader,
			content: jsonContent("Health", {
				example: {
					status: "ok",
					checks: { d1: { status: "ok", latency_ms: 2 }, r2: { status: "ok", latency_ms: 5 } },
				},
			}),
		},
		"503": {
			description: "At least one binding failed; `checks` says which and why.",
			headers: requestIdHeader,
			content: jsonContent("Health", {
				example: {
					status: "fail",
					checks: {
						d1: { status: "ok", latency_ms: 2 },
						r2: { status: "fail", latency_ms: 2000, error: "timed out after 2000 ms" },
					},
				},
			}),
		},
	},
});

/** `GET /healthz`: 200 when D1 and R2 both answer, else 503 naming the failed check. Public. */
export function healthRoutes(probes: (env: Env) => HealthProbes) {
	const app = new Hono<AppEnv>();
	app.get("/healthz", getHealthDoc, async (c) => {
		const { d1, r2 } = probes(c.env);
		const [d1Result, r2Result] = await Promise.all([check(d1), check(r2)]);
		const checks = { d1: d1Result, r2: r2Result };
		const failed = Object.entries(checks).filter(([, result]) => result.status === "fail");
		c.header("Cache-Control", "no-store");
		if (failed.length === 0) return c.json({ status: "ok", checks }, 200);
		// Not thrown (the body is the health report, not the error shape), but logged as the cause.
		c.error = new Error(
			`health check failed: ${failed.map(([name, r]) => `${name}: ${r.error}`).join("; ")}`,
		);
		return c.json({ status: "fail", checks }, 503);
	});
	return app;
}
