import { jsonContent, requestIdHeader } from "../components";
import type { Operation } from "../types";

/** The versions document and the service's own routes: all public. */
export const SERVICE_OPERATIONS: Operation[] = [
	{
		method: "get",
		path: "/",
		operationId: "listVersionsRoot",
		summary: "API versions (300 Multiple Choices)",
		description:
			"Glance answers the root with 300 and the versions document, as it answers every request its version negotiation cannot place, whatever the method: an unversioned path such as `/images` (unless `Accept: application/vnd.openstack.images-v1`, `-v1.0` or `-v1.1` routes it to that version), an unknown prefix such as `/v1.a/images` or `/v9/images`, or another vendor media type.",
		tags: ["versions"],
		public: true,
		responses: {
			"300": {
				description: "The versions this server speaks.",
				headers: requestIdHeader,
				content: jsonContent("Versions"),
			},
		},
	},
	{
		method: "get",
		path: "/versions",
		operationId: "listVersions",
		summary: "API versions",
		tags: ["versions"],
		public: true,
		responses: {
			"200": {
				description: "The versions this server speaks: v1.1 (current) and v1.0.",
				headers: requestIdHeader,
				content: jsonContent("Versions"),
			},
		},
	},
	{
		method: "get",
		path: "/openapi.json",
		operationId: "getOpenApi",
		summary: "This document (OpenAPI 3.1)",
		tags: ["service"],
		public: true,
		responses: {
			"200": {
				description: "The OpenAPI document.",
				content: { "application/json": { schema: { type: "object" } } },
			},
		},
	},
	{
		method: "get",
		path: "/docs",
		operationId: "getDocs",
		summary: "Interactive API documentation (Swagger UI)",
		tags: ["service"],
		public: true,
		responses: {
			"200": {
				description: "An HTML page rendering /openapi.json.",
				content: { "text/html": { schema: { type: "string" } } },
			},
		},
	},
	{
		method: "get",
		path: "/healthz",
		operationId: "getHealth",
		summary: "Health: can the worker reach D1 and R2?",
		description:
			"Runs `SELECT 1` on D1 and a HEAD of a fixed key on R2, each with a short timeout. Not cached.",
		tags: ["service"],
		public: true,
		responses: {
			"200": {
				description: "Both bindings answered.",
				headers: requestIdHeader,
				content: jsonContent("Health", {
					example: {
						status: "ok",
						checks: { d1: { status: "ok", latency_ms: 2 }, r2: { status: "ok", latency_ms: 5 } },
					},
				}),
			},
			"503": {
				description: "At least one binding failed; `checks` says which and why.",
				headers: requestIdHeader,
				content: jsonContent("Health", {
					example: {
						status: "fail",
						checks: {
							d1: { status: "ok", latency_ms: 2 },
							r2: { status: "fail", latency_ms: 2000, error: "timed out after 2000 ms" },
						},
					},
				}),
			},
		},
	},
];
