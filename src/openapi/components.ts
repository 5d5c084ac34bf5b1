import type * as v from "valibot";
import { titleOf } from "../http/errors";
import { CreateImageJsonSchema } from "../schemas/image-meta";
import { ReplaceMembersSchema } from "../schemas/members";
import {
	BriefListOrVersionSchema,
	BriefListSchema,
	DetailListSchema,
	ErrorSchema,
	HealthSchema,
	ImageEnvelopeSchema,
	ImageSchema,
	MemberListSchema,
	RegisteredImageSchema,
	SharedImagesSchema,
	UploadedPartSchema,
	UploadSessionSchema,
	VersionsSchema,
} from "../schemas/responses";
import { CompleteSessionSchema, OpenSessionSchema } from "../schemas/upload-session";
import { jsonSchemaOf } from "./json-schema";
import type { Json } from "./types";

/** Every named schema of the document, from the valibot schemas that validate or answer. */
export const SCHEMAS = {
	CreateImage: CreateImageJsonSchema,
	Image: ImageSchema,
	ImageEnvelope: ImageEnvelopeSchema,
	RegisteredImage: RegisteredImageSchema,
	BriefList: BriefListSchema,
	BriefListOrVersion: BriefListOrVersionSchema,
	DetailList: DetailListSchema,
	Error: ErrorSchema,
	Versions: VersionsSchema,
	ReplaceMembers: ReplaceMembersSchema,
	MemberList: MemberListSchema,
	SharedImages: SharedImagesSchema,
	Health: HealthSchema,
	OpenUploadSession: OpenSessionSchema,
	CompleteUploadSession: CompleteSessionSchema,
	UploadSession: UploadSessionSchema,
	UploadedPart: UploadedPartSchema,
} satisfies Record<string, v.GenericSchema>;

export type SchemaName = keyof typeof SCHEMAS;

export const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });

export const jsonContent = (name: SchemaName, extra: Json = {}) => ({
	"application/json": { schema: ref(name), ...extra },
});

/** Error statuses the API answers, with the usual reason for each. */
const ERRORS = {
	400: "The request is malformed or a field is invalid; `field` names it.",
	401: "X-Auth-Token is missing or not valid.",
	403: "The caller may not do this (e.g. publicize, change a read-only field, delete a protected image).",
	404: "No such image, or not visible to the caller (never 403 for another tenant's image).",
	405: "The method is not allowed here; `Allow` lists the ones that are.",
	409: "Conflicts with the image's state or a concurrent change (e.g. upload to a non-queued image, duplicate id).",
	410: "v2: the image was deleted while its data was being uploaded or staged.",
	412: "v1: the image was deleted while its data was being uploaded.",
	413: "Too large: the request body, the image size cap, or a quota.",
	416: "The Range starts beyond the image's end.",
	500: "Unexpected server error (logged with its cause and the request id).",
	503: "A backing service (R2, D1, Keystone) is unavailable; retry later.",
} as const;
export type ErrorStatus = keyof typeof ERRORS;

const ERROR_NAMES: Record<ErrorStatus, string> = {
	400: "BadRequest",
	401: "Unauthorized",
	403: "Forbidden",
	404: "NotFound",
	405: "MethodNotAllowed",
	409: "Conflict",
	410: "Gone",
	412: "PreconditionFailed",
	413: "PayloadTooLarge",
	416: "RangeNotSatisfiable",
	500: "InternalServerError",
	503: "ServiceUnavailable",
};

const REQUEST_ID_HEADER = {
	description: "`req-<uuid>`: the id of this request in the service's logs.",
	schema: { type: "string", pattern: "^req-[0-9a-f-]{36}$" },
};

function errorResponse(status: ErrorStatus): Json {
	const headers: Json = { "x-openstack-request-id": REQUEST_ID_HEADER };
	if (status === 401) {
		headers["WWW-Authenticate"] = {
			schema: { type: "string" },
			example: 'Token realm="glance-edge"',
		};
	}
	if (status === 416) {
		headers["Content-Range"] = { schema: { type: "string" }, example: "bytes */1024" };
	}
	return {
		description: ERRORS[status],
		headers,
		content: jsonContent("Error", {
			example: {
				error: { code: status, title: titleOf(status), message: ERRORS[status] },
			},
		}),
	};
}

/** `$ref`s to the shared error responses, for an operation's `responses`. */
export function errors(...statuses: ErrorStatus[]): Record<string, Json> {
	return Object.fromEntries(
		statuses.map((s) => [String(s), { $ref: `#/components/responses/${ERROR_NAMES[s]}` }]),
	);
}

/** HEAD answers carry no body, errors included. */
export function headErrors(...statuses: ErrorStatus[]): Record<string, Json> {
	return Object.fromEntries(
		statuses.map((s) => [
			String(s),
			{
				description: `${ERRORS[s]} (no body: this is HEAD)`,
				headers: { "x-openstack-request-id": REQUEST_ID_HEADER },
			},
		]),
	);
}

export const requestIdHeader = { "x-openstack-request-id": REQUEST_ID_HEADER };

/** Image data, as a request or response body. */
export const OCTET_STREAM = {
	"application/octet-stream": {
		schema: { type: "string", contentMediaType: "application/octet-stream" },
	},
};

/** On the requests that may carry image data (registration and update). */
export const CONTENT_LENGTH = {
	name: "Content-Length",
	in: "header",
	required: false,
	description:
		"Length of the image data. Without it (chunked), send x-image-meta-size, or the data is stored in parts of UPLOAD_PART_BYTES. Over MAX_REQUEST_BYTES → 413.",
	schema: { type: "integer", minimum: 0 },
};

/** openstacksdk's `{"image": {...}}`, where any key that is not a field is a property. */
const SDK_ENVELOPE = {
	type: "object",
	properties: { image: { type: "object", additionalProperties: true } },
	required: ["image"],
	additionalProperties: false,
};

/** The JSON form of an image's metadata (registration and update): bare or in the envelope. */
export const IMAGE_JSON_SCHEMA = { anyOf: [ref("CreateImage"), SDK_ENVELOPE] };

export const IMAGE_ID_PARAMETER = { $ref: "#/components/parameters/ImageId" };
export const MEMBER_PARAMETER = { $ref: "#/components/parameters/Member" };
/** An upload session's part number, in the path of both APIs' part routes. */
export const PART_NUMBER_PARAMETER = {
	name: "n",
	in: "path",
	required: true,
	description: "The part number, from 1 to part_count.",
	schema: { type: "integer", minimum: 1, maximum: 10000 },
};
/** A part's body, as both APIs' part routes take it. */
export const PART_BODY = {
	required: true,
	content: {
		"application/octet-stream": {
			schema: { type: "string", contentMediaType: "application/octet-stream" },
		},
	},
};

export function components(): Json {
	return {
		securitySchemes: {
			authToken: {
				type: "apiKey",
				in: "header",
				name: "X-Auth-Token",
				description:
					"A token from AUTH_TOKENS, or a Keystone token when KEYSTONE_URL is set. Role `admin` (ADMIN_ROLE) makes an administrator.",
			},
		},
		schemas: Object.fromEntries(
			Object.entries(SCHEMAS).map(([name, schema]) => [name, jsonSchemaOf(schema)]),
		),
		responses: Object.fromEntries(
			Object.keys(ERRORS).map((key) => {
				const status = Number(key) as ErrorStatus;
				return [ERROR_NAMES[status], errorResponse(status)];
			}),
		),
		parameters: {
			ImageId: {
				name: "id",
				in: "path",
				required: true,
				description: "The image id: a UUID (dashes optional, any case).",
				schema: { type: "string" },
			},
			Member: {
				name: "member",
				in: "path",
				required: true,
				description: "A tenant (project) id.",
				schema: { type: "string" },
			},
		},
	};
}
