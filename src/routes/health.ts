import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { jsonContent, requestIdHeader } from "../openapi/components";
import { describe } from "../openapi/describe";
import { checkHealth, type HealthProbes } from "../services/health";

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
		const checks = await checkHealth(probes(c.env));
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
