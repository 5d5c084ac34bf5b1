import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { checkHealth, type HealthProbes } from "../services/health";

/** `GET /healthz`: 200 when D1 and R2 both answer, else 503 naming the failed check. Public. */
export function healthRoutes(probes: (env: Env) => HealthProbes) {
	const app = new Hono<AppEnv>();
	app.get("/healthz", async (c) => {
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
