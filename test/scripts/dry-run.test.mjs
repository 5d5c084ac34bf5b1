// `wrangler deploy --dry-run` of each deployment environment in wrangler.toml: the bundle
// builds, the bindings are the environment's own, and wrangler has no warning about the config
// (a var left out of an environment, which vars do not inherit).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const WRANGLER = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");

for (const env of ["staging", "production"]) {
	test(`wrangler deploy --dry-run --env ${env}`, () => {
		const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `glance-edge-dry-run-${env}-`));
		try {
			const r = spawnSync(
				process.execPath,
				[WRANGLER, "deploy", "--dry-run", "--env", env, "--outdir", outdir],
				{
					cwd: ROOT,
					encoding: "utf8",
					env: {
						...process.env,
						WRANGLER_SEND_METRICS: "false",
						CLOUDFLARE_CF_FETCH_ENABLED: "false",
						WRANGLER_HIDE_BANNER: "true",
					},
				},
			);
			const output = r.stdout + r.stderr;
			assert.equal(r.status, 0, output);
			assert.match(output, /--dry-run: exiting now/);
			assert.doesNotMatch(output, /WARNING|\[warn\]/i);
			assert.match(output, new RegExp(`env\\.DB \\(glance-edge-${env}\\)`));
			assert.match(output, new RegExp(`env\\.IMAGES \\(glance-edge-images-${env}\\)`));
			assert.match(output, new RegExp(`env\\.VERIFY_QUEUE \\(glance-edge-verify-${env}\\)`));
			assert.match(output, /env\.MAX_REQUEST_BYTES \("100000000"\)/);
			assert.match(output, /Read \d+ files from the assets directory/);
			assert.ok(fs.existsSync(path.join(outdir, "index.js")));
		} finally {
			fs.rmSync(outdir, { recursive: true, force: true });
		}
	});
}
