import type { D1Migration } from "cloudflare:test";
import type { UndeclaredBindings as AppBindings } from "../src/env";

declare global {
	namespace Cloudflare {
		interface GlobalProps {
			mainModule: typeof import("../src/index");
		}
		interface Env extends AppBindings {
			TEST_MIGRATIONS: D1Migration[];
			KEYSTONE: Fetcher;
		}
	}
}
