// The layering is the linter's to enforce (biome.json's per-folder import rules); these cases
// show that it does, by linting sources as if they stood in each folder.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

const ROOT = path.join(import.meta.dirname, "..", "..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");

/** Lints `source` as a file at `asFile` (written there for the run, then removed). */
function lint(asFile, source) {
	const probe = path.join(ROOT, asFile.replace(/probe\.ts$/, `layering-probe-${process.pid}.ts`));
	writeFileSync(probe, source);
	try {
		const run = spawnSync(BIOME, ["lint", probe], { cwd: ROOT, encoding: "utf8" });
		return { ok: run.status === 0, output: run.stdout + run.stderr };
	} finally {
		rmSync(probe, { force: true });
	}
}

describe("the import rules", () => {
	for (const [file, source] of [
		["src/domain/probe.ts", 'import { Hono } from "hono";\nexport const app = new Hono();\n'],
		["src/domain/probe.ts", 'import type { Env } from "../env";\nexport type E = Env;\n'],
		[
			"src/domain/probe.ts",
			'import { ApiError } from "../http/errors";\nexport const e = ApiError;\n',
		],
		[
			"src/metadata/probe.ts",
			'import { putImage } from "../services/image-put";\nexport const p = putImage;\n',
		],
		["src/storage/probe.ts", 'import { Hono } from "hono";\nexport const h = Hono;\n'],
		["src/services/probe.ts", 'import type { Context } from "hono";\nexport type C = Context;\n'],
		[
			"src/routes/probe.ts",
			'import { D1ImageRepository } from "../metadata/d1-image-repository";\nexport const r = D1ImageRepository;\n',
		],
	]) {
		it(`refuses ${source.split("\n")[0]} in ${path.dirname(file)}`, () => {
			const { ok, output } = lint(file, source);
			assert.equal(ok, false, output);
			assert.match(output, /noRestrictedImports/);
		});
	}

	it("lets the domain import the domain, and services import the domain", () => {
		assert.equal(
			lint(
				"src/domain/probe.ts",
				'import { LIFECYCLE } from "./lifecycle";\nexport const l = LIFECYCLE;\n',
			).ok,
			true,
		);
		assert.equal(
			lint(
				"src/services/probe.ts",
				'import { LIFECYCLE } from "../domain/lifecycle";\nexport const l = LIFECYCLE;\n',
			).ok,
			true,
		);
	});
});
