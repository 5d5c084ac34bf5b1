import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { type ApiInit, asCaller, BASE, type Client } from "./http";

/** What createApp lets a test replace: any of the app's collaborators (a failing store, ...). */
export type AppDeps = NonNullable<Parameters<typeof createApp>[0]>;

export interface AppWithOptions {
	/** Bindings over the test ones (vitest.config.ts), e.g. `{ USER_STORAGE_QUOTA: "1000" }`. */
	vars?: Partial<Cloudflare.Env>;
	/** Collaborators over the default ones; a key given as undefined keeps the default. */
	deps?: { [K in keyof AppDeps]?: AppDeps[K] | undefined };
}

export interface TestApp extends Client {
	app: ReturnType<typeof createApp>;
	/** The bindings every request gets: the test ones with `vars` over them. */
	env: Cloudflare.Env;
}

/**
 * The app, built in this isolate with `vars` and `deps`, called like `api` (path, `as` a caller,
 * default owner). Unlike a call through the worker's fetch binding, a request body that fails
 * reaches the app as an error; streamed bodies need no `duplex` (it is always "half").
 */
export function appWith({ vars = {}, deps = {} }: AppWithOptions = {}): TestApp {
	const given = Object.fromEntries(Object.entries(deps).filter(([, dep]) => dep !== undefined));
	const app = createApp(given as AppDeps);
	const bindings = { ...env, ...vars } as Cloudflare.Env;
	return {
		app,
		env: bindings,
		api: async (path: string, init: ApiInit = {}) =>
			app.request(`${BASE}${path}`, { ...asCaller(init), duplex: "half" } as RequestInit, bindings),
	};
}
