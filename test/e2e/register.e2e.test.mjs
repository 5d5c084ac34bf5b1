// Registering an image (POST /v1/images) and reading it back (HEAD), over real HTTP against
// `wrangler dev`. Run through `npm run test:e2e`, which starts the server and sets E2E_URL.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

const BASE = process.env.E2E_URL;
if (!BASE) throw new Error("E2E_URL is not set: run these tests with `npm run test:e2e`");
const DEMO_TOKEN = process.env.E2E_DEMO_TOKEN ?? "dev-demo-token";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One HTTP call; also checks the request id every response must carry. */
async function call(method, path, { token = DEMO_TOKEN, headers = {}, body } = {}) {
	const res = await fetch(`${BASE}${path}`, {
		method,
		headers: { ...(token ? { "X-Auth-Token": token } : {}), ...headers },
		body,
		redirect: "manual",
		signal: AbortSignal.timeout(15_000),
	});
	const text = await res.text();
	const requestId = res.headers.get("x-openstack-request-id");
	assert.ok(
		requestId?.startsWith("req-"),
		`${method} ${path} → ${res.status}: x-openstack-request-id is ${JSON.stringify(requestId)}`,
	);
	let json;
	if (res.headers.get("content-type")?.startsWith("application/json")) json = JSON.parse(text);
	return { res, status: res.status, headers: res.headers, text, json };
}

function registerJson(meta) {
	return call("POST", "/v1/images", {
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify(meta),
	});
}

describe("POST /v1/images (register)", () => {
	test("registers from a JSON body: 202, r2:// location, Location header, queued", async () => {
		const r = await registerJson({
			name: "cirros",
			disk_format: "qcow2",
			container_format: "bare",
		});
		assert.equal(r.status, 202, r.text);
		assert.ok(r.json, `expected a JSON body, got ${r.headers.get("content-type")}: ${r.text}`);
		const { location, image } = r.json;
		assert.equal(typeof location, "string");
		assert.ok(location.startsWith("r2://"), `location ${location}`);
		assert.match(image.id, UUID);
		assert.ok(
			r.headers.get("location")?.endsWith(`/v1/images/${image.id}`),
			`Location header ${r.headers.get("location")}`,
		);
		assert.equal(image.status, "queued");
		assert.equal(image.name, "cirros");
		assert.equal(image.disk_format, "qcow2");
		assert.equal(image.container_format, "bare");
		assert.equal(image.owner, "demo");
		assert.deepEqual(image.properties, {});
	});

	test("registers from x-image-meta-* headers with an empty octet-stream body", async () => {
		const r = await call("POST", "/v1/images", {
			headers: {
				"Content-Type": "application/octet-stream",
				"x-image-meta-name": "cirros-headers",
				"x-image-meta-disk_format": "qcow2",
				"x-image-meta-container_format": "bare",
				// glanceclient's image-create sends this literal string when --is-public is absent.
				"x-image-meta-is_public": "None",
			},
			body: "", // Content-Length: 0
		});
		assert.equal(r.status, 202, r.text);
		const { image } = r.json;
		assert.match(image.id, UUID);
		assert.ok(r.headers.get("location")?.endsWith(`/v1/images/${image.id}`));
		assert.ok(r.json.location.startsWith("r2://"));
		assert.equal(image.status, "queued");
		assert.equal(image.name, "cirros-headers");
		assert.equal(image.is_public, false);
	});
});

describe("HEAD /v1/images/{id}", () => {
	test("reports the registered image as x-image-meta-* headers", async () => {
		const created = await registerJson({
			name: "cirros",
			disk_format: "qcow2",
			container_format: "bare",
		});
		assert.equal(created.status, 202, created.text);
		const id = created.json.image.id;

		const r = await call("HEAD", `/v1/images/${id}`);
		assert.equal(r.status, 200);
		assert.equal(r.text, "");
		assert.equal(r.headers.get("x-image-meta-status"), "queued");
		assert.equal(r.headers.get("x-image-meta-name"), "cirros");
		assert.equal(r.headers.get("x-image-meta-id"), id);
		assert.equal(r.headers.get("x-image-meta-disk_format"), "qcow2");
		assert.equal(r.headers.get("x-image-meta-container_format"), "bare");
		// glanceclient would try to parse an empty body declared as JSON.
		assert.ok(!r.headers.get("content-type")?.startsWith("application/json"));
	});

	test("answers 404 for an unknown id", async () => {
		const r = await call("HEAD", "/v1/images/00000000-0000-4000-8000-000000000000");
		assert.equal(r.status, 404);
		assert.equal(r.text, "");
	});
});

describe("authentication and errors", () => {
	test("answers 401 without a token, with the JSON error shape", async () => {
		const r = await call("POST", "/v1/images", {
			token: null,
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ name: "x", disk_format: "qcow2", container_format: "bare" }),
		});
		assert.equal(r.status, 401);
		assert.ok(r.json, `expected JSON, got ${r.headers.get("content-type")}: ${r.text}`);
		assert.equal(typeof r.json.error, "object");
		assert.equal(typeof r.json.error.message, "string");
		assert.ok(r.json.error.message.length > 0);
	});

	test("answers 401 for an unknown token", async () => {
		const r = await call("HEAD", "/v1/images/00000000-0000-4000-8000-000000000000", {
			token: "not-a-real-token",
		});
		assert.equal(r.status, 401);
	});

	test("stamps a request id on versions, root and not-found answers too", async () => {
		const versions = await call("GET", "/versions", { token: null });
		assert.equal(versions.status, 200);
		assert.ok(Array.isArray(versions.json.versions));
		const root = await call("GET", "/", { token: null });
		assert.equal(root.status, 300);
		// Versioned: an unversioned unknown path is negotiated (300 with the versions document).
		const missing = await call("GET", "/v1/no-such-path");
		assert.equal(missing.status, 404);
		assert.equal(typeof missing.json?.error?.message, "string");
		const ids = new Set(
			[versions, root, missing].map((r) => r.headers.get("x-openstack-request-id")),
		);
		assert.equal(ids.size, 3, "every response gets its own request id");
	});
});
