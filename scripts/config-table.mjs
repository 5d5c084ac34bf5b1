#!/usr/bin/env node
// The README's configuration table is rendered from the settings schema (src/config/schema.ts),
// so a var cannot be documented one way and parsed another. `--write` rewrites the table in
// place; without it the script only compares, and fails when they disagree (npm test runs it so).

import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as v from "valibot";
import { runnerImport } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const README = fileURLToPath(new URL("../README.md", import.meta.url));
const SCHEMA = fileURLToPath(new URL("../src/config/schema.ts", import.meta.url));
const BEGIN = "<!-- config-table: generated from src/config/schema.ts by `npm run docs:config` -->";
const END = "<!-- /config-table -->";

/** One row per setting, in the schema's order. */
function rows(settings) {
	return Object.entries(settings.entries).map(([name, schema]) => {
		const { secret, defaultText, note } = v.getMetadata(schema);
		const fallback = v.getDefault(schema);
		if (defaultText === undefined && !fallback) {
			throw new Error(`${name} has no default: give it a defaultText saying what unset means.`);
		}
		return [
			`\`${name}\`${secret ? " (secret)" : ""}`,
			defaultText ?? `\`${fallback}\`${note ? ` (${note})` : ""}`,
			v.getDescription(schema).replaceAll("|", "\\|"),
		];
	});
}

/** Padded like the README's other tables, so a regenerated table changes only the rows that did. */
function table(header, body) {
	const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i].length)));
	const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
	return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

const { module } = await runnerImport(SCHEMA, { root, logLevel: "silent" });
const expected = table(["Name", "Default", "Meaning"], rows(module.settings));

const readme = await readFile(README, "utf8");
const start = readme.indexOf(BEGIN);
const end = readme.indexOf(END, start);
if (start < 0 || end < 0) {
	console.error(`README.md has lost its table markers:\n${BEGIN}\n${END}`);
	process.exit(1);
}
const before = readme.slice(0, start + BEGIN.length);
const current = readme.slice(start + BEGIN.length, end).trim();
const after = readme.slice(end);

if (process.argv.includes("--write")) {
	if (current !== expected) await writeFile(README, `${before}\n\n${expected}\n\n${after}`);
} else if (current !== expected) {
	const was = current.split("\n");
	const is = expected.split("\n");
	const row = is.findIndex((line, i) => line !== was[i]);
	console.error(
		"README.md's configuration table does not match src/config/schema.ts; run `npm run docs:config`.",
	);
	console.error(`First difference, line ${row + 1} of the table:`);
	console.error(`  README: ${was[row] ?? "(missing)"}`);
	console.error(`  schema: ${is[row] ?? "(extra line in README)"}`);
	process.exit(1);
}
