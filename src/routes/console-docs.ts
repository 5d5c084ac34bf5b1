import { errors, IMAGE_ID_PARAMETER, jsonContent, requestIdHeader } from "../openapi/components";
import { describe } from "../openapi/describe";
import type { Json } from "../openapi/types";

const NOT_ENABLED = (what: string): Record<string, Json> => ({
	"501": { description: `${what} is not enabled on this server.`, content: jsonContent("Error") },
});

const SESSION_SCHEMA: Json = {
	type: "object",
	required: ["session"],
	properties: {
		session: {
			type: "object",
			required: ["token", "expires_at", "tenant", "user", "roles", "is_admin"],
			properties: {
				token: { type: ["string", "null"], description: "Only in the answer to a sign-in." },
				expires_at: { type: ["string", "null"], format: "date-time" },
				tenant: { type: ["string", "null"] },
				user: { type: ["string", "null"] },
				roles: { type: "array", items: { type: "string" } },
				is_admin: { type: "boolean" },
			},
		},
	},
};

/**
 * The OpenAPI operations of the console's routes (console.ts) and of the download link
 * (download-link.ts), mounted beside their handlers; kept here because their schemas are long.
 */
export const getConsoleConfigDoc = describe({
	operationId: "getConsoleConfig",
	summary: "What the console may offer: sign-ins, formats, download links",
	description: "`password` is true when KEYSTONE_URL is set.",
	tags: ["console"],
	security: [],
	responses: {
		"200": {
			description: "The sign-in options.",
			headers: requestIdHeader,
			content: {
				"application/json": {
					schema: {
						type: "object",
						properties: {
							sign_in: {
								type: "object",
								properties: { token: { type: "boolean" }, password: { type: "boolean" } },
							},
							disk_formats: { type: "array", items: { type: "string" } },
							container_formats: { type: "array", items: { type: "string" } },
							download_links: { type: "boolean" },
						},
					},
				},
			},
		},
	},
});

export const getConsoleSessionDoc = describe({
	operationId: "getConsoleSession",
	summary: "Who the X-Auth-Token belongs to",
	description: "The console checks a token with it at sign-in. `token` is null here.",
	tags: ["console"],
	responses: {
		"200": {
			description: "The caller.",
			headers: requestIdHeader,
			content: { "application/json": { schema: SESSION_SCHEMA } },
		},
		...errors(401, 503),
	},
});

export const createConsoleSessionDoc = describe({
	operationId: "createConsoleSession",
	summary: "Sign in with a Keystone user name, password and project",
	description:
		"The server asks Keystone (`POST /v3/auth/tokens`, password method, project scope) for a token and answers it; the password is not kept. `domain` defaults to `Default`.",
	tags: ["console"],
	security: [],
	requestBody: {
		required: true,
		content: {
			"application/json": {
				schema: {
					type: "object",
					required: ["username", "password", "project"],
					additionalProperties: false,
					properties: {
						username: { type: "string" },
						password: { type: "string", format: "password" },
						project: { type: "string" },
						domain: { type: "string", default: "Default" },
					},
				},
			},
		},
	},
	responses: {
		"201": {
			description: "Signed in: the token, its expiry and the caller.",
			headers: requestIdHeader,
			content: { "application/json": { schema: SESSION_SCHEMA } },
		},
		...errors(400, 401, 503),
		...NOT_ENABLED("Password sign-in (KEYSTONE_URL)"),
	},
});

export const getImageInspectionDoc = describe({
	operationId: "getImageInspection",
	summary: "What content inspection found in an image's bytes",
	description:
		"`detected_format` is the format the bytes were recognised as (null before data); `status_reason` says why a killed image was refused.",
	tags: ["console"],
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"200": {
			description: "The verdict.",
			headers: requestIdHeader,
			content: {
				"application/json": {
					schema: {
						type: "object",
						required: ["inspection"],
						properties: {
							inspection: {
								type: "object",
								required: ["status", "detected_format", "declared_format", "status_reason"],
								properties: {
									status: { type: "string" },
									detected_format: { type: ["string", "null"] },
									declared_format: { type: ["string", "null"] },
									status_reason: { type: ["string", "null"] },
								},
							},
						},
					},
				},
			},
		},
		...errors(401, 404),
	},
});

export const createDownloadLinkDoc = describe({
	operationId: "createDownloadLink",
	summary: "A short-lived link that downloads the image without a token",
	description:
		"Extension (not in Glance v1). The URL is valid for `DOWNLOAD_LINK_SECONDS` (default 300), for this image only, and stops working when the image is deleted. Anyone holding it can download the image: hand it only to the browser that asked. Only active images.",
	tags: ["images"],
	parameters: [IMAGE_ID_PARAMETER],
	responses: {
		"201": {
			description: "The link.",
			headers: requestIdHeader,
			content: {
				"application/json": {
					schema: {
						type: "object",
						required: ["link"],
						properties: {
							link: {
								type: "object",
								required: ["url", "expires_at"],
								properties: {
									url: { type: "string", format: "uri" },
									expires_at: { type: "string", format: "date-time" },
								},
							},
						},
					},
				},
			},
		},
		...errors(401, 403, 404),
		...NOT_ENABLED("Download links (DOWNLOAD_LINK_SECRET)"),
	},
});

export const downloadByLinkDoc = describe({
	operationId: "downloadByLink",
	summary: "Download an image through a signed link",
	description:
		"The target of `POST /v1/images/{id}/download-link`; the signature is the credential. An invalid or expired link → 403; a deleted image → 404.",
	tags: ["images"],
	security: [],
	parameters: [
		IMAGE_ID_PARAMETER,
		{ name: "expires", in: "query", required: true, schema: { type: "integer" } },
		{ name: "signature", in: "query", required: true, schema: { type: "string" } },
	],
	responses: {
		"200": {
			description: "The image data, as an attachment named after the image.",
			content: {
				"application/octet-stream": { schema: { type: "string", format: "binary" } },
			},
		},
		...errors(403, 404),
		...NOT_ENABLED("Download links (DOWNLOAD_LINK_SECRET)"),
	},
});
