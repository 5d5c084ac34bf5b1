#!/usr/bin/env node
// Copies Swagger UI's script and stylesheet from the swagger-ui-dist package into
// public/docs/swagger-ui-dist/, which wrangler serves as static assets ([assets] in
// wrangler.toml), so /docs needs no CDN. Generated, not committed: the package pins the version.
// Runs on `npm ci` (postinstall), `npm start` and deploys; copying twice is harmless.

import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"];

export function copyDocsAssets() {
	const from = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
	const to = path.join(root, "public", "docs", "swagger-ui-dist");
	fs.mkdirSync(to, { recursive: true });
	for (const file of FILES) fs.copyFileSync(path.join(from, file), path.join(to, file));
	return to;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const to = copyDocsAssets();
	process.stdout.write(`Swagger UI assets copied to ${path.relative(root, to)}/\n`);
}
