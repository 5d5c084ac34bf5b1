import * as v from "valibot";
import { createApp } from "../../src/app";
import { SCHEMAS, type SchemaName } from "../../src/openapi/components";
import { randomBytes } from "../helpers/bytes";
import { REGISTRATION } from "../helpers/fixtures";
import { api, postJson } from "../helpers/http";

type Json = Record<string, unknown>;
interface Parameter {
	name: string;
	in: "path" | "query" | "header";
	example?: string;
	$ref?: string;
}
interface OperationDoc {
	parameters?: Parameter[];
	requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> };
	responses: Record<string, Json>;
	security?: unknown[];
}
interface Document {
	openapi: string;
	servers: { url: string }[];
	paths: Record<string, Record<string, OperationDoc>>;
	components: { responses: Record<string, Json>; parameters: Record<string, Parameter> };
}

async function fetchDocument(): Promise<Document> {
	const res = await api("/openapi.json", { as: "anonymous" });
	expect(res.status).toBe(200);
	return (await res.json()) as Document;
}

/** `/v1.1/images/:id` → `/v1/images/{id}`; `/v1/` → `/v1`. */
function normalisePath(path: string): string {
	const p = path
		.replace(/^\/v1\.[01](?=\/|$)/, "/v1")
		.replace(/:([A-Za-z_]+)/g, "{$1}")
		.replace(/\/+$/, "");
	return p === "" ? "/" : p;
}

/** METHOD path for every handler the app registers; `*` middleware left out. */
function servedRoutes(): Set<string> {
	const served = new Set<string>();
	for (const { method, path } of createApp().routes) {
		if (path.endsWith("*")) continue;
		served.add(`${method} ${normalisePath(path)}`);
	}
	return served;
}

function documentedRoutes(doc: Document): Set<string> {
	const documented = new Set<string>();
	for (const [path, operations] of Object.entries(doc.paths)) {
		for (const method of Object.keys(operations)) {
			documented.add(`${method.toUpperCase()} ${normalisePath(path)}`);
		}
	}
	return documented;
}

const pathOf = (route: string) => route.slice(route.indexOf(" ") + 1);

describe("GET /openapi.json", () => {
	it("answers without a token with an OpenAPI 3.1 document for this server", async () => {
		const doc = await fetchDocument();
		expect(doc.openapi).toBe("3.1.0");
		expect(doc.servers).toEqual([{ url: "https://glance.test" }]);
	});

	it("documents every route the app serves", async () => {
		const documented = documentedRoutes(await fetchDocument());
		const documentedPaths = new Set([...documented].map(pathOf));
		const missing = [...servedRoutes()].filter((route) =>
			// An all-method route (a 405 fallback, or a path Glance routed for every method) is
			// covered when its path is documented with any method.
			route.startsWith("ALL ") ? !documentedPaths.has(pathOf(route)) : !documented.has(route),
		);
		expect(missing, "served but without a describe()").toEqual([]);
	});

	it("documents only routes the app serves", async () => {
		const served = servedRoutes();
		const extra = [...documentedRoutes(await fetchDocument())].filter((route) => {
			const [method, path] = [route.slice(0, route.indexOf(" ")), pathOf(route)];
			// Hono answers HEAD with the GET handler.
			const as = method === "HEAD" ? "GET" : method;
			return !served.has(`${as} ${path}`) && !served.has(`ALL ${path}`);
		});
		expect(extra, "documented but not served").toEqual([]);
	});

	it("marks exactly the routes that need no token as public", async () => {
		const doc = await fetchDocument();
		const id = crypto.randomUUID();
		for (const [path, operations] of Object.entries(doc.paths)) {
			for (const [method, operation] of Object.entries(operations)) {
				const url = path.replace("{id}", id).replace("{member}", "tenant-b");
				const res = await api(url, { method: method.toUpperCase(), as: "anonymous" });
				await res.arrayBuffer();
				const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
				expect(res.status === 401, `${method} ${path} → ${res.status}`).toBe(!isPublic);
			}
		}
	});
});

/** The valibot schema a documented JSON response refers to. */
function responseSchema(doc: Document, operation: OperationDoc, status: number) {
	let response = operation.responses[String(status)];
	expect(response, `status ${status} is documented`).toBeDefined();
	const target = response.$ref as string | undefined;
	if (target) response = doc.components.responses[target.split("/").pop() as string];
	const content = response.content as Record<string, { schema?: { $ref?: string } }> | undefined;
	const ref = content?.["application/json"]?.schema?.$ref;
	return ref ? SCHEMAS[ref.split("/").pop() as SchemaName] : null;
}

/** Asserts that a real response's status is documented for the route and its body fits. */
async function expectDocumented(doc: Document, method: string, path: string, res: Response) {
	const operation = doc.paths[path]?.[method];
	expect(operation, `${method} ${path} is documented`).toBeDefined();
	const schema = responseSchema(doc, operation, res.status);
	if (schema) {
		const result = v.safeParse(schema, await res.json());
		expect(result.issues ?? [], `${method} ${path} ${res.status} body`).toEqual([]);
	}
}

describe("the document matches what the app answers", () => {
	it("registration, upload, update, lists and errors", async () => {
		const doc = await fetchDocument();
		const registered = await postJson("/v1/images", { ...REGISTRATION, properties: { a: "b" } });
		expect(registered.status).toBe(202);
		const { image } = (await registered.clone().json()) as { image: { id: string } };
		await expectDocumented(doc, "post", "/v1/images", registered);

		const uploaded = await api("/v1/images", {
			method: "POST",
			headers: {
				"x-image-meta-name": "data",
				"x-image-meta-disk_format": "raw",
				"x-image-meta-container_format": "bare",
				"content-type": "application/octet-stream",
			},
			body: randomBytes(2048),
		});
		expect(uploaded.status).toBe(201);
		await expectDocumented(doc, "post", "/v1/images", uploaded);

		const updated = await api(`/v1/images/${image.id}`, {
			method: "PUT",
			headers: { "x-image-meta-min_ram": "128" },
		});
		expect(updated.status).toBe(200);
		await expectDocumented(doc, "put", "/v1/images/{id}", updated);

		await expectDocumented(doc, "get", "/v1/images", await api("/v1/images"));
		await expectDocumented(doc, "get", "/v1/images/detail", await api("/v1/images/detail"));
		await expectDocumented(doc, "get", "/v1/", await api("/v1/"));
		await expectDocumented(doc, "get", "/versions", await api("/versions", { as: "anonymous" }));
		await expectDocumented(doc, "get", "/", await api("/", { as: "anonymous" }));
		await expectDocumented(doc, "get", "/healthz", await api("/healthz", { as: "anonymous" }));
		await expectDocumented(
			doc,
			"get",
			"/v1/images/{id}/members",
			await api(`/v1/images/${image.id}/members`),
		);
		await expectDocumented(
			doc,
			"get",
			"/v1/shared-images/{member}",
			await api("/v1/shared-images/tenant-a"),
		);

		const bad = await postJson("/v1/images", { ...REGISTRATION, disk_format: "floppy" });
		expect(bad.status).toBe(400);
		await expectDocumented(doc, "post", "/v1/images", bad);
		const missing = await api(`/v1/images/${crypto.randomUUID()}`);
		expect(missing.status).toBe(404);
		await expectDocumented(doc, "get", "/v1/images/{id}", missing);
		const anonymous = await api("/v1/images/detail", { as: "anonymous" });
		await expectDocumented(doc, "get", "/v1/images/detail", anonymous);
	});
});

describe("the document's examples", () => {
	/** An image of the calling tenant for `{id}`: active with data for reads, queued otherwise. */
	async function fixtures() {
		const queued = await postJson("/v1/images", REGISTRATION);
		const active = await api("/v1/images", {
			method: "POST",
			headers: {
				"x-image-meta-name": "example-data",
				"x-image-meta-disk_format": "raw",
				"x-image-meta-container_format": "bare",
				"content-type": "application/octet-stream",
			},
			body: randomBytes(4096),
		});
		expect([queued.status, active.status]).toEqual([202, 201]);
		const id = async (res: Response) => ((await res.json()) as { image: { id: string } }).image.id;
		return { queued: await id(queued), active: await id(active) };
	}

	async function expectSuccess(res: Response, what: string) {
		if (res.status < 300) {
			await res.arrayBuffer();
			return;
		}
		expect.fail(`${what} answered ${res.status}: ${await res.text()}`);
	}

	function parameters(doc: Document, operation: OperationDoc): Parameter[] {
		return (operation.parameters ?? []).map((p) =>
			p.$ref ? doc.components.parameters[p.$ref.split("/").pop() as string] : p,
		);
	}

	it("are accepted by the app: each request-body example, and the parameter examples together", async () => {
		const doc = await fetchDocument();
		const ids = await fixtures();
		let sent = 0;
		for (const [path, operations] of Object.entries(doc.paths)) {
			for (const [method, operation] of Object.entries(operations)) {
				const id = method === "get" || method === "head" ? ids.active : ids.queued;
				const url = path.replace("{id}", id).replace("{member}", "tenant-b");
				const call = (init: { query?: string; headers?: Record<string, string>; body?: string }) =>
					api(`${url}${init.query ?? ""}`, {
						method: method.toUpperCase(),
						headers: init.headers,
						body: init.body,
					});

				const bodies = operation.requestBody?.content["application/json"]?.examples ?? {};
				for (const [name, example] of Object.entries(bodies)) {
					const res = await call({
						headers: { "content-type": "application/json" },
						body: JSON.stringify(example.value),
					});
					await expectSuccess(res, `${method} ${path} example '${name}'`);
					sent++;
				}

				const withExamples = parameters(doc, operation).filter((p) => p.example !== undefined);
				if (withExamples.length === 0) continue;
				const query = new URLSearchParams();
				const headers: Record<string, string> = {};
				for (const p of withExamples) {
					if (p.in === "query") query.set(p.name, String(p.example));
					if (p.in === "header") headers[p.name] = String(p.example);
				}
				const res = await call({ query: query.size > 0 ? `?${query}` : "", headers });
				await expectSuccess(res, `${method} ${path} parameter examples`);
				sent++;
			}
		}
		// Registration (3 bodies + headers), 3 lists, Range download, update headers, members (2),
		// upload session.
		expect(sent).toBeGreaterThanOrEqual(11);
	});
});
