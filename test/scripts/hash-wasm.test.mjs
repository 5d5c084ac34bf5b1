// The committed WebAssembly binaries are the installed hash-wasm's (scripts/hash-wasm.mjs).
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { expectedFiles } from "../../scripts/hash-wasm.mjs";

describe("hash-wasm binaries", () => {
	it("match the installed package's", () => {
		for (const [file, bytes] of expectedFiles()) {
			assert.ok(fs.existsSync(file), `${file} is missing: run node scripts/hash-wasm.mjs`);
			assert.equal(
				Buffer.compare(fs.readFileSync(file), bytes),
				0,
				`${file} differs: run node scripts/hash-wasm.mjs`,
			);
		}
	});
});
