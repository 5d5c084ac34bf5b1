// Pure unit tests of the CLI's helpers: argument parsing, endpoint and header decoding, backoff,
// part geometry, digest comparison and the progress display. Run with `node --test test/cli/`.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseContentRange } from "../../cli/download.mjs";
import { EXIT } from "../../cli/errors.mjs";
import { imageFromHeaders, normalizeEndpoint } from "../../cli/http.mjs";
import { HELP, parseCommandLine } from "../../cli/main.mjs";
import { backoffDelay } from "../../cli/retry.mjs";
import { createUi, formatBytes, formatDuration } from "../../cli/ui.mjs";
import { compareDigests, missingParts, partRange } from "../../cli/upload.mjs";

const ENV = { OS_IMAGE_URL: "https://images.example.com", OS_AUTH_TOKEN: "tok" };

describe("parseCommandLine", () => {
	test("upload with everything", () => {
		const { command, options } = parseCommandLine(
			[
				"upload",
				"disk.qcow2",
				"--name",
				"n",
				"--disk-format",
				"qcow2",
				"--container-format",
				"bare",
				"--property",
				"os_distro=ubuntu",
				"--property",
				"note=a=b",
				"--public",
				"--min-disk",
				"10",
				"--parallel",
				"8",
				"--retries",
				"2",
				"-q",
			],
			ENV,
		);
		assert.equal(command, "upload");
		assert.equal(options.connection.url, "https://images.example.com");
		assert.equal(options.connection.token, "tok");
		assert.deepEqual(options.properties, { os_distro: "ubuntu", note: "a=b" });
		assert.equal(options.isPublic, true);
		assert.equal(options.minDisk, 10);
		assert.equal(options.minRam, undefined);
		assert.equal(options.parallel, 8);
		assert.equal(options.retries, 2);
		assert.equal(options.quiet, true);
		assert.equal(options.verifyTimeoutMs, 3_600_000);
	});

	test("options win over the environment; glanceclient's option names work too", () => {
		const { options } = parseCommandLine(
			["download", "id", "f", "--os-image-url", "http://other:9292/v1", "--token", "t2"],
			ENV,
		);
		assert.equal(options.connection.url, "http://other:9292/v1");
		assert.equal(options.connection.token, "t2");
	});

	test("usage errors carry exit code 1", () => {
		for (const argv of [[], ["upload", "f"], ["download", "a"], ["abort", "a", "b"]]) {
			assert.throws(
				() => parseCommandLine(argv, ENV),
				(err) => err.exitCode === EXIT.USAGE,
			);
		}
	});

	test("a command named like an Object.prototype member is unknown", () => {
		assert.throws(
			() => parseCommandLine(["constructor", "x"], ENV),
			(err) => err.exitCode === EXIT.USAGE && /unknown command "constructor"/.test(err.message),
		);
	});

	test("help", () => {
		assert.deepEqual(parseCommandLine(["upload", "--help"], {}), { help: true });
		assert.match(HELP, /130 {2}interrupted/);
	});
});

describe("http helpers", () => {
	test("normalizeEndpoint strips a trailing version and slash", () => {
		assert.equal(normalizeEndpoint("http://h:8787/"), "http://h:8787");
		assert.equal(normalizeEndpoint("http://h:8787/v1"), "http://h:8787");
		assert.equal(normalizeEndpoint("https://h/glance/v1.1/"), "https://h/glance");
		assert.equal(normalizeEndpoint("ftp://h"), null);
		assert.equal(normalizeEndpoint("not a url"), null);
	});

	test("imageFromHeaders types fields and decodes percent-encoding", () => {
		const image = imageFromHeaders(
			new Headers({
				"x-image-meta-id": "i",
				"x-image-meta-size": "42",
				"x-image-meta-is_public": "False",
				"x-image-meta-status_reason": "50%25 short",
				"x-image-meta-property-hw%20x": "caf%C3%A9",
				etag: "abc",
			}),
		);
		assert.deepEqual(image, {
			id: "i",
			size: 42,
			is_public: false,
			status_reason: "50% short",
			properties: { "hw x": "café" },
		});
	});

	test("backoffDelay grows exponentially with jitter, capped; Retry-After wins", () => {
		assert.equal(
			backoffDelay(0, null, () => 0),
			500,
		);
		assert.equal(
			backoffDelay(0, null, () => 1),
			1000,
		);
		assert.equal(
			backoffDelay(3, null, () => 1),
			8000,
		);
		assert.equal(
			backoffDelay(20, null, () => 1),
			30_000,
		);
		assert.equal(backoffDelay(0, "3"), 3000);
		assert.equal(backoffDelay(0, "9999"), 60_000);
	});

	test("parseContentRange", () => {
		assert.deepEqual(parseContentRange("bytes 5-9/10"), { start: 5, end: 9, total: 10 });
		assert.equal(parseContentRange("bytes */10"), null);
	});
});

describe("upload helpers", () => {
	const session = { size: 10, part_size: 4, part_count: 3, parts: [2] };
	test("part geometry", () => {
		assert.deepEqual(partRange(session, 1), { start: 0, end: 4 });
		assert.deepEqual(partRange(session, 3), { start: 8, end: 10 });
		assert.deepEqual(missingParts(session), [1, 3]);
	});

	test("compareDigests", () => {
		const digests = { md5: "m", sha512: "s".repeat(128) };
		const good = {
			size: 10,
			checksum: "m",
			os_hash_algo: "sha512",
			os_hash_value: "s".repeat(128),
		};
		assert.deepEqual(compareDigests(good, 10, digests), []);
		assert.equal(compareDigests({ ...good, checksum: "x" }, 10, digests).length, 1);
		assert.equal(compareDigests({ ...good, os_hash_value: undefined }, 10, digests).length, 1);
		assert.equal(compareDigests({ ...good, size: 11 }, 10, digests).length, 1);
	});
});

describe("ui", () => {
	test("formatting", () => {
		assert.equal(formatBytes(999), "999 B");
		assert.equal(formatBytes(1_500_000), "1.5 MB");
		assert.equal(formatDuration(65), "1:05");
		assert.equal(formatDuration(3725), "1:02:05");
		assert.equal(formatDuration(Number.NaN), "--:--");
	});

	function fakeStream(isTTY) {
		return {
			isTTY,
			columns: 100,
			out: "",
			write(s) {
				this.out += s;
				return true;
			},
		};
	}

	test("on a terminal: a redrawn bar with bytes, rate and ETA", () => {
		const stream = fakeStream(true);
		let clock = 0;
		const ui = createUi({ stream, now: () => clock });
		const meter = ui.progress("uploading", 100e6, 20e6);
		clock = 2000;
		meter.add(20e6);
		meter.redraw();
		const last = stream.out.split("\r").at(-1);
		assert.match(
			last,
			/^uploading \[#+-+\] {2}40% 40\.0 MB \/ 100\.0 MB {2}10\.0 MB\/s {2}ETA 0:06/,
		);
		ui.note("hello");
		assert.ok(stream.out.includes("\r\x1b[Kglance-edge: hello\n\ruploading"));
		const summary = meter.stop();
		assert.equal(summary.bytes, 20e6);
		assert.ok(stream.out.endsWith("\r\x1b[K"));
	});

	test("not a terminal: plain lines; --quiet: nothing", () => {
		const stream = fakeStream(false);
		const ui = createUi({ stream });
		ui.progress("uploading", 10).stop();
		ui.note("a note");
		// One line at the start, so a log shows the transfer began; then one per interval.
		assert.equal(stream.out, "glance-edge: uploading 10 B\nglance-edge: a note\n");
		const quiet = fakeStream(true);
		const q = createUi({ stream: quiet, quiet: true });
		const m = q.progress("uploading", 10);
		m.add(5);
		m.redraw();
		q.note("x");
		m.stop();
		q.error("boom");
		assert.equal(quiet.out, "glance-edge: error: boom\n");
	});
});
