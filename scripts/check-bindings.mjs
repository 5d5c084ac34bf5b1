#!/usr/bin/env node
// Only the composition root (src/deps.ts) and the identity middleware, which hands Keystone's
// service binding to the identity adapter, may reach a binding: everything else gets adapters.
// Biome's import rules cannot see property reads, so this check does it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.join(import.meta.dirname, "..", "src");
const ALLOWED = new Set(["deps.ts", path.join("middleware", "auth.ts")]);
const BINDING_READ = /\benv\.(DB|IMAGES|VERIFY_QUEUE|KEYSTONE)\b/;

const problems = [];
for (const entry of readdirSync(ROOT, { recursive: true, withFileTypes: true })) {
	if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
	const file = path.join(entry.parentPath, entry.name);
	const relative = path.relative(ROOT, file);
	if (ALLOWED.has(relative)) continue;
	readFileSync(file, "utf8")
		.split("\n")
		.forEach((line, i) => {
			if (BINDING_READ.test(line)) problems.push(`src/${relative}:${i + 1}: ${line.trim()}`);
		});
}
if (problems.length > 0) {
	console.error(`Bindings are reached only through src/deps.ts:\n${problems.join("\n")}`);
	process.exit(1);
}
