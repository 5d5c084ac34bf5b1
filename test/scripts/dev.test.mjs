// `npm start` / `npm run dev` (scripts/dev.mjs): which port and state wrangler dev gets.

import assert from "node:assert/strict";
import { test } from "node:test";
import { devCommands } from "../../scripts/dev.mjs";

test("8787 on loopback by default, with the dev tokens", () => {
	const { migrate, dev } = devCommands([], {});
	assert.deepEqual(migrate, ["d1", "migrations", "apply", "DB", "--local"]);
	assert.deepEqual(dev, ["dev", "--ip", "127.0.0.1", "--port", "8787", "--env-file", "dev.env"]);
});

test("PORT=8788 picks the port", () => {
	assert.deepEqual(devCommands([], { PORT: "8788" }).dev.slice(3, 5), ["--port", "8788"]);
});

test("`npm start -- --port 8788` passes --port once, and wins over PORT", () => {
	for (const args of [["--port", "8788"], ["--port=8788"]]) {
		const { dev } = devCommands(args, { PORT: "9000" });
		assert.equal(dev.filter((a) => a.startsWith("--port")).length, 1, dev.join(" "));
		assert.ok(dev.join(" ").includes("8788"));
		assert.ok(!dev.includes("9000"));
	}
});

test("--persist-to is used for the migrations too", () => {
	for (const args of [["--persist-to", "/tmp/x"], ["--persist-to=/tmp/x"]]) {
		const { migrate, dev } = devCommands(args, {});
		assert.deepEqual(migrate.slice(-2), ["--persist-to", "/tmp/x"]);
		assert.ok(dev.join(" ").includes("/tmp/x"));
	}
});

test("a PORT that is not a number is refused", () => {
	assert.throws(() => devCommands([], { PORT: "eighty" }), /PORT must be a port number/);
});
