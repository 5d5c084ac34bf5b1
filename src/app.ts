import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { notFound } from "./domain/refusal";
import { renderError } from "./http/errors";
import { requireToken } from "./middleware/auth";
import { requestContext } from "./middleware/request-context";
import { requestLog } from "./middleware/request-log";
import { type AppDeps, defaultDeps, services } from "./middleware/services";
import { docsRoutes } from "./routes/docs";
import { healthRoutes } from "./routes/health";
import { imageCollectionRoutes } from "./routes/image-collection";
import { imageItemRoutes } from "./routes/image-item";
import { imageListRoutes } from "./routes/image-list";
import { imageMemberRoutes } from "./routes/image-members";
import { uploadSessionRoutes } from "./routes/upload-sessions";
import { versionRoutes } from "./routes/versions";

/** Glance accepted these prefixes for the v1 API (contract §2.1). */
const V1_PREFIXES = ["/v1", "/v1.0", "/v1.1"] as const;

/** Builds the application; tests pass their own deps (e.g. a blob store that fails). */
export function createApp(overrides: Partial<AppDeps> = {}) {
	const deps: AppDeps = { ...defaultDeps, ...overrides };
	// Not strict: `/v1/` is the brief list as `/v1` is (contract §2.2).
	const app = new Hono<AppEnv>({ strict: false });

	app.use(requestLog(), requestContext());
	// Public: no token needed.
	app.route("/", versionRoutes());
	app.route("/", docsRoutes());
	app.route("/", healthRoutes(deps.healthProbes));

	const v1 = new Hono<AppEnv>();
	v1.use(requireToken(), services(deps));
	v1.route("/", imageListRoutes());
	v1.route("/", imageCollectionRoutes());
	v1.route("/", imageItemRoutes());
	v1.route("/", imageMemberRoutes());
	v1.route("/", uploadSessionRoutes());
	for (const prefix of V1_PREFIXES) app.route(prefix, v1);

	app.notFound((c) => renderError(notFound("The resource could not be found."), c));
	app.onError((err, c) => renderError(err, c));
	return app;
}
