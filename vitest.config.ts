import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export const TEST_AUTH_TOKENS = [
	{ token: "admin-token", tenant: "admin-tenant", user: "admin", roles: ["admin"] },
	{ token: "owner-token", tenant: "tenant-a", user: "alice", roles: ["member"] },
	{ token: "other-token", tenant: "tenant-b", user: "bob", roles: ["member"] },
	{ token: "sharer-token", tenant: "tenant-c", user: "carol", roles: ["member"] },
	{ token: "member-token", tenant: "tenant-d", user: "dave", roles: ["member"] },
	{ token: "third-token", tenant: "tenant-f", user: "frank", roles: ["member"] },
];

/**
 * workerd's own stderr lines about connections that fault-injection tests cut on purpose (a
 * client hang-up, a body refused part-way, the pool's WebSocket closing at teardown), with the
 * native stack that follows each — and the R2 simulator's own unhandled read of a body that a
 * test makes fail part-way (test/storage/r2-blob-store.test.ts). They come from the runtime
 * process, not from console.*, so `silent` cannot hold them back; everything else workerd
 * prints still shows.
 */
const EXPECTED_RUNTIME_NOISE = [
	/^exception = .*disconnected: (WebSocket peer disconnected|pump canceled|fixed-length pipe ended prematurely|read end of pipe was aborted)/,
	/^uncaught exception; .*(Network connection lost\.|Can't read from request stream because client disconnected\.)/,
	/^stack: (\S*workerd@[0-9a-f]+ ?)+$/,
];
/** Drops the expected noise from what a stream writes; workerd's lines reach stdout or stderr. */
function filterNoise(stream: NodeJS.WriteStream): void {
	const write = stream.write.bind(stream) as (chunk: string, ...rest: unknown[]) => boolean;
	stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
		const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
		const kept = text
			.split(/(?<=\n)/)
			.filter((line) => !EXPECTED_RUNTIME_NOISE.some((noise) => noise.test(line.trimEnd())))
			.join("");
		return kept === "" ? true : write(kept, ...rest);
	}) as typeof stream.write;
}
filterNoise(process.stdout);
filterNoise(process.stderr);

export default defineConfig(async () => {
	const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
	return {
		plugins: [
			cloudflareTest({
				wrangler: { configPath: "./wrangler.toml" },
				miniflare: {
					bindings: {
						TEST_MIGRATIONS: migrations,
						AUTH_TOKENS: JSON.stringify(TEST_AUTH_TOKENS),
						IMAGE_PROPERTY_QUOTA: "10",
						UPLOAD_PART_BYTES: String(5 * 1024 * 1024),
						SESSION_PART_BYTES: String(5 * 1024 * 1024),
						// The API suites upload random bytes labelled qcow2 (test/helpers/fixtures.ts); content
						// checks are tested with the switch on in test/inspection/. Safety checks still apply.
						IMAGE_MEMBER_QUOTA: "10",
						// The suites exercise the unknown-length path itself; the default refusal of
						// such uploads has its own test (test/api/unsized-uploads.test.ts).
						ACCEPT_UNSIZED_UPLOADS: "true",
						KEYSTONE_URL: "https://keystone.test:5000",
						KEYSTONE_SERVICE_TOKEN: "keystone-service-token",
						DOWNLOAD_LINK_SECRET: "download-link-test-secret",
					},
					serviceBindings: { KEYSTONE: "keystone" },
					workers: [
						{
							name: "keystone",
							modules: true,
							scriptPath: path.join(import.meta.dirname, "test/fixtures/keystone/worker.js"),
							compatibilityDate: "2026-04-26",
						},
					],
				},
			}),
		],
		// Image fixtures are gzipped disk images, imported as base64 data URLs (`?inline`).
		assetsInclude: ["**/*.gz"],
		test: {
			include: ["test/{unit,metadata,storage,api,inspection}/**/*.test.ts"],
			setupFiles: ["./test/setup/apply-migrations.ts"],
			globals: true,
			// The default 5 s is tight when the machine is busy: an 11 MiB multipart upload with its
			// verification (upload-sessions) takes 1-2 s idle and timed out at a load of 10 on 2 cores.
			testTimeout: 30_000,
			// Quiet when green: a passing test's console output (the fault-injection tests log 5xx
			// lines with stacks on purpose) is dropped, a failing test's is printed with its failure.
			silent: "passed-only",
			// Lists only failing files and tests, in full, then the totals (`--reporter=default` or
			// `verbose` on the command line to see every file).
			reporters: ["minimal"],
			// One JSON line per request is for operators, not for test output.
			onConsoleLog: (log) => !log.startsWith('{"level":"info","msg":"request"'),
		},
	};
});
