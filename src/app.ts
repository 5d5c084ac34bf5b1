import { Hono } from "hono";
import { getPathNoStrict } from "hono/utils/url";
import type { AppEnv } from "./app-env";
import { type AppDeps, withDefaults } from "./deps";
import { notFound } from "./domain/refusal";
import { V2_PREFIX, VERSION_PREFIXES, versionNamed } from "./http/api-versions";
import { renderError } from "./http/errors";
import { negotiatedPath } from "./http/negotiation";
import { requireToken } from "./middleware/auth";
import { requestContext } from "./middleware/request-context";
import { requestLog } from "./middleware/request-log";
import { services } from "./middleware/services";
import { consoleRoutes } from "./routes/console";
import { docsRoutes } from "./routes/docs";
import { downloadLinkRoutes } from "./routes/download-link";
import { healthRoutes } from "./routes/health";
import { imageCollectionRoutes } from "./routes/image-collection";
import { imageItemRoutes } from "./routes/image-item";
import { imageListRoutes } from "./routes/image-list";
import { imageMemberRoutes } from "./routes/image-members";
import { uploadSessionRoutes } from "./routes/upload-sessions";
import { v2ImageDataRoutes } from "./routes/v2/image-data";
import { v2ImageImportRoutes } from "./routes/v2/image-import";
import { v2ImageRoutes } from "./routes/v2/images";
import { v2InfoRoutes } from "./routes/v2/info";
import { v2MemberRoutes } from "./routes/v2/members";
import { v2SchemaRoutes } from "./routes/v2/schemas";
import { v2UploadSessionRoutes } from "./routes/v2/upload-sessions";
import { versionRoutes } from "./routes/versions";

const isUnversioned = (segment: string | undefined): segment is string =>
	segment !== undefined && segment !== "" && segment !== "*" && !versionNamed(segment);

/** Builds the application; tests pass their own deps (e.g. a blob store that fails). */
export function createApp(overrides: Partial<AppDeps> = {}) {
	const deps = withDefaults(overrides);
	// Paths the app serves outside every API version; version negotiation leaves them alone.
	let unversioned: ReadonlySet<string> | undefined;
	const app: Hono<AppEnv> = new Hono<AppEnv>({
		// Not strict: `/v1/` is the brief list as `/v1` is (contract §2.2). Then Glance's version
		// negotiation picks the API a request is routed to (http/negotiation.ts).
		getPath: (request): string => {
			unversioned ??= new Set(app.routes.map((r) => r.path.split("/")[1]).filter(isUnversioned));
			return negotiatedPath(getPathNoStrict(request), request.headers, unversioned);
		},
	});

	app.use(requestLog(), requestContext(deps));
	// Public: no token needed.
	app.route("/", versionRoutes());
	app.route(
		"/",
		docsRoutes(() => app.routes),
	);
	app.route("/", healthRoutes(deps.healthProbes));
	// The console's image inspection and signed downloads reach images like the API does.
	app.use("/console/api/images/*", services(deps));
	app.use("/downloads/*", services(deps));
	app.route("/", consoleRoutes());

	const v1 = new Hono<AppEnv>();
	v1.use(requireToken(), services(deps));
	v1.route("/", imageListRoutes());
	v1.route("/", imageCollectionRoutes());
	v1.route("/", imageItemRoutes());
	v1.route("/", imageMemberRoutes());
	v1.route("/", uploadSessionRoutes());
	v1.route("/", downloadLinkRoutes());
	for (const prefix of VERSION_PREFIXES) app.route(prefix, v1);

	// Image API v2 over the same services; every v2 alias is routed here (http/negotiation.ts).
	const v2 = new Hono<AppEnv>();
	v2.use(async (c, next) => {
		c.set("dialect", "v2");
		await next();
	});
	v2.use(requireToken(), services(deps));
	v2.route("/", v2SchemaRoutes());
	v2.route("/", v2InfoRoutes());
	v2.route("/", v2ImageDataRoutes());
	v2.route("/", v2ImageImportRoutes());
	v2.route("/", v2UploadSessionRoutes());
	v2.route("/", v2ImageRoutes());
	v2.route("/", v2MemberRoutes());
	app.route(V2_PREFIX, v2);

	app.notFound((c) => renderError(notFound("The resource could not be found."), c));
	app.onError((err, c) => renderError(err, c));
	return app;
}
