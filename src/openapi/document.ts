import { components } from "./components";
import { IMAGE_OPERATIONS } from "./paths/images";
import { MEMBER_OPERATIONS } from "./paths/members";
import { SERVICE_OPERATIONS } from "./paths/service";
import { UPLOAD_SESSION_OPERATIONS } from "./paths/upload-sessions";
import { V2_OPERATIONS } from "./paths/v2";
import type { Json, Operation } from "./types";

/** Every documented route. A route the app serves but this list lacks fails the OpenAPI test. */
export const OPERATIONS: readonly Operation[] = [
	...SERVICE_OPERATIONS,
	...IMAGE_OPERATIONS,
	...MEMBER_OPERATIONS,
	...UPLOAD_SESSION_OPERATIONS,
	...V2_OPERATIONS,
];

const DESCRIPTION = `An OpenStack Image API v1 (Glance v1) and v2 registry on Cloudflare Workers: metadata in D1, image data in R2. Both APIs serve the same images.

- Every \`/v1\` and \`/v2\` route needs an \`X-Auth-Token\`; \`/v1.0\` and \`/v1.1\` are aliases of \`/v1\`, every listed v2 minor (\`/v2.3\`) of \`/v2\`.
- Errors are JSON: \`{"error": {"code", "title", "message", "field"?}}\` (HEAD answers carry no body).
- Every response carries \`x-openstack-request-id\`, which the service's logs record.
- Where glance-edge differs from Glance v1 on purpose: registration without data answers 202 with the reserved \`r2://\` location; JSON registration is accepted; SHA-512 (\`os_hash_value\`) next to MD5; \`Range\` downloads; external sources (\`copy_from\`, \`location\`) are refused.`;

const TAGS = [
	{ name: "images", description: "Register, upload, download, update, delete and list images." },
	{ name: "members", description: "Share images with other tenants." },
	{
		name: "upload sessions",
		description:
			"Extension (not in Glance v1): upload an image larger than one request body as parts.",
	},
	{
		name: "images v2",
		description:
			"Image API v2 (Glance 25.1's wire) over the same images: JSON records, JSON-patch updates, `/file` data.",
	},
	{ name: "versions", description: "Which API versions this server speaks." },
	{ name: "service", description: "This document, the docs page, and the health check." },
];

/** The OpenAPI 3.1 document, built from the route table and the valibot schemas. */
export function openApiDocument(serverUrl: string): Json {
	const paths: Record<string, Record<string, Json>> = {};
	for (const { method, path, public: isPublic, ...operation } of OPERATIONS) {
		paths[path] ??= {};
		paths[path][method] = isPublic ? { ...operation, security: [] } : operation;
	}
	return {
		openapi: "3.1.0",
		info: {
			title: "glance-edge",
			version: "1.1",
			description: DESCRIPTION,
		},
		servers: [{ url: serverUrl }],
		tags: TAGS,
		security: [{ authToken: [] }],
		paths,
		components: components(),
	};
}
