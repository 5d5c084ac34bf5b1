// The API description and the docs page, against `wrangler dev`. Run through `npm run test:e2e`,
// which starts the server and sets E2E_URL.
//
// The document is validated against the OpenAPI 3.1 schema here, in Node, because the validator
// reads its schemas from disk, which the workerd tests cannot.
//
// The rendering check runs Debian's headless Chromium on /docs when `chromium` is on PATH (CI
// installs it and sets REQUIRE_CHROMIUM=1, so there it never skips). The worker serves Swagger
// UI's assets itself ([assets] in wrangler.toml), so the page renders with no network beyond
// loopback; an asset URL off this machine (DOCS_ASSETS_URL set elsewhere) fails the test.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const CHROMIUM_TIMEOUT_MS = 60_000;

function onPath(name) {
	for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
		if (!dir) continue;
		try {
			fs.accessSync(path.join(dir, name), fs.constants.X_OK);
			return true;
		} catch {}
	}
	return false;
}

const isLoopback = (url) => {
	const host = new URL(url).hostname;
	return host === "localhost" || host === "[::1]" || host.startsWith("127.");
};

/** Runs headless Chromium with no network beyond loopback; resolves with its stdout. */
function chromium(args) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), "glance-edge-chromium-"));
	const argv = [
		"--headless",
		"--no-sandbox",
		"--disable-gpu",
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		`--user-data-dir=${profile}`,
		"--virtual-time-budget=15000",
		"--window-size=1280,1600",
		...args,
	];
	return new Promise((resolve, reject) => {
		const child = spawn("chromium", argv, { stdio: ["ignore", "pipe", "pipe"] });
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		const timer = setTimeout(() => child.kill("SIGKILL"), CHROMIUM_TIMEOUT_MS);
		child.on("error", reject);
		child.on("close", (code) => {
			clearTimeout(timer);
			fs.rmSync(profile, { recursive: true, force: true });
			if (code === 0) resolve(stdout);
			else reject(new Error(`chromium exited with ${code}:\n${stderr.slice(-2000)}`));
		});
	});
}

describe("API description", () => {
	test("GET /openapi.json is a valid OpenAPI 3.1 document, served without a token", async () => {
		const res = await fetch(`${BASE}/openapi.json`);
		assert.equal(res.status, 200);
		const doc = await res.json();
		const validator = new Validator();
		const result = await validator.validate(doc);
		assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
		assert.equal(validator.version, "3.1");
		assert.deepEqual(doc.servers, [{ url: BASE }]);
	});

	test("GET /docs is an HTML page that renders /openapi.json with Swagger UI", async () => {
		const res = await fetch(`${BASE}/docs`);
		assert.equal(res.status, 200);
		assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
		const page = await res.text();
		assert.match(page, /SwaggerUIBundle\(/);
		assert.match(page, /url: '\/openapi\.json'/);
		assert.match(page, /swagger-ui-bundle\.js/);
	});

	test("/docs renders every route family in headless Chromium", async (t) => {
		if (!onPath("chromium")) {
			assert.ok(
				!process.env.REQUIRE_CHROMIUM,
				"REQUIRE_CHROMIUM is set but chromium is not on PATH",
			);
			t.skip("chromium is not installed (apt-get install chromium)");
			return;
		}
		const page = await (await fetch(`${BASE}/docs`)).text();
		const assets = [...page.matchAll(/(?:src|href)="([^"]+swagger-ui[^"]*)"/g)].map((m) => m[1]);
		assert.ok(assets.length >= 2, `asset URLs in the page: ${assets.join(", ")}`);
		const remote = assets.filter((url) => !isLoopback(new URL(url, BASE).href));
		assert.deepEqual(remote, [], "Swagger UI's assets come from the worker, not a CDN");
		for (const url of assets) {
			const res = await fetch(new URL(url, BASE));
			await res.arrayBuffer();
			assert.equal(res.status, 200, `${url} (run \`npm run build:docs\`?)`);
		}

		// Swagger UI breaks paths with zero-width spaces.
		const dom = (await chromium(["--dump-dom", `${BASE}/docs`])).replaceAll("\u200b", "");
		for (const route of [
			"/v1/images/{id}",
			"/v1/images/detail",
			"/v1/images/{id}/members",
			"/v1/images/{id}/upload-session",
			"/healthz",
		]) {
			assert.ok(dom.includes(route), `the rendered page shows ${route}`);
		}
		assert.ok(dom.includes("glance-edge"), "the rendered page shows the title");

		const dir = process.env.E2E_SCREENSHOT_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "docs-"));
		const file = path.join(dir, "docs.png");
		await chromium([`--screenshot=${file}`, `${BASE}/docs`]);
		assert.ok(fs.statSync(file).size > 20_000, "the screenshot is not blank");
		t.diagnostic(`screenshot of /docs: ${file}`);
	});
});
