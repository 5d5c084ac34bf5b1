// The committed WebAssembly digests are what scripts/digest-wasm.mjs generates.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { expectedFiles } from "../../scripts/digest-wasm.mjs";

describe("digest WebAssembly", () => {
	it("matches its generator", async () => {
		for (const [file, bytes] of await expectedFiles()) {
			assert.ok(fs.existsSync(file), `${file} is missing: run node scripts/digest-wasm.mjs`);
			assert.equal(
				Buffer.compare(fs.readFileSync(file), bytes),
				0,
				`${file} differs: run node scripts/digest-wasm.mjs`,
			);
		}
	});
});
