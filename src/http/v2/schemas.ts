import { VISIBILITIES } from "../../domain/image";
import type { FormatPolicy } from "../../domain/validate-image-meta";
import { IMAGE_STATUSES_V2 } from "./image-view";

/**
 * The schema documents of `/v2/schemas/*` (glance-v2-contract §2.13). glanceclient and Nova
 * read them: glanceclient validates records and chooses PATCH operations from them (`is_base:
 * false` keys get `add`), Nova splits base attributes from properties. The same image schema
 * validates what clients send (./validate.ts), so what is served is what is enforced.
 */

export type JsonSchema = {
	type?: string | string[];
	enum?: readonly (string | null)[];
	pattern?: string;
	maxLength?: number;
	minLength?: number;
	minimum?: number;
	maximum?: number;
	items?: JsonSchema;
	properties?: Record<string, JsonSchema>;
	required?: string[];
	additionalProperties?: JsonSchema | boolean;
	readOnly?: boolean;
	writeOnly?: boolean;
	is_base?: boolean;
	description?: string;
	[extra: string]: unknown;
};

const UUID_PATTERN =
	"^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$";
const NULLABLE_STRING = ["null", "string"];

const readOnlyString = (description: string): JsonSchema => ({
	type: "string",
	readOnly: true,
	description,
});

/** The properties of the image schema, base attributes and then the schema-image ones. */
export function imageSchemaProperties(formats: FormatPolicy): Record<string, JsonSchema> {
	return {
		id: { type: "string", pattern: UUID_PATTERN, description: "An identifier for the image" },
		name: { type: NULLABLE_STRING, maxLength: 255, description: "Descriptive name for the image" },
		status: {
			type: "string",
			readOnly: true,
			enum: IMAGE_STATUSES_V2,
			description: "Status of the image",
		},
		visibility: { type: "string", enum: VISIBILITIES, description: "Scope of image accessibility" },
		protected: { type: "boolean", description: "If true, image will not be deletable." },
		os_hidden: {
			type: "boolean",
			description: "If true, image will not appear in default image list response.",
		},
		checksum: {
			type: NULLABLE_STRING,
			readOnly: true,
			maxLength: 32,
			description: "md5 hash of image contents.",
		},
		os_hash_algo: {
			type: NULLABLE_STRING,
			readOnly: true,
			maxLength: 64,
			description: "Algorithm to calculate the os_hash_value",
		},
		os_hash_value: {
			type: NULLABLE_STRING,
			readOnly: true,
			maxLength: 128,
			description: "Hexdigest of the image contents using the algorithm in os_hash_algo.",
		},
		owner: { type: NULLABLE_STRING, maxLength: 255, description: "Owner of the image" },
		size: { type: ["null", "integer"], readOnly: true, description: "Size of image file in bytes" },
		virtual_size: {
			type: ["null", "integer"],
			readOnly: true,
			description: "Virtual size of image in bytes",
		},
		container_format: {
			type: NULLABLE_STRING,
			enum: [null, ...formats.containerFormats],
			description: "Format of the container",
		},
		disk_format: {
			type: NULLABLE_STRING,
			enum: [null, ...formats.diskFormats],
			description: "Format of the disk",
		},
		created_at: readOnlyString("Date and time of image registration"),
		updated_at: readOnlyString("Date and time of the last image modification"),
		tags: {
			type: "array",
			items: { type: "string", maxLength: 255 },
			description: "List of strings related to the image",
		},
		direct_url: readOnlyString("URL to access the image file kept in external store"),
		min_ram: {
			type: "integer",
			description: "Amount of ram (in MB) required to boot image.",
		},
		min_disk: {
			type: "integer",
			description: "Amount of disk space (in GB) required to boot image.",
		},
		self: readOnlyString("An image self url"),
		file: readOnlyString("An image file url"),
		// No `stores`: Glance lists it only with multiple stores, and glanceclient's
		// image-create-via-import would get two --stores options from it and refuse to start.
		schema: readOnlyString("An image schema url"),
		locations: {
			type: "array",
			items: {
				type: "object",
				properties: {
					url: { type: "string", maxLength: 255 },
					metadata: { type: "object" },
					validation_data: {
						type: "object",
						writeOnly: true,
						additionalProperties: false,
						properties: {
							checksum: { type: "string", minLength: 32, maxLength: 32 },
							os_hash_algo: { type: "string", maxLength: 64 },
							os_hash_value: { type: "string", maxLength: 128 },
						},
						required: ["os_hash_algo", "os_hash_value"],
					},
				},
				required: ["url", "metadata"],
			},
			description: "A set of URLs to access the image file kept in external store",
		},
		// etc/schema-image.json: custom properties every Glance knows, marked as not base.
		kernel_id: {
			type: NULLABLE_STRING,
			pattern: UUID_PATTERN,
			is_base: false,
			description:
				"ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.",
		},
		ramdisk_id: {
			type: NULLABLE_STRING,
			pattern: UUID_PATTERN,
			is_base: false,
			description:
				"ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.",
		},
		instance_uuid: {
			type: "string",
			is_base: false,
			description:
				"Metadata which can be used to record which instance this image is associated with.",
		},
		architecture: {
			type: "string",
			is_base: false,
			description:
				"Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
		},
		os_distro: {
			type: "string",
			is_base: false,
			description:
				"Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html",
		},
		os_version: {
			type: "string",
			is_base: false,
			description: "Operating system version as specified by the distributor.",
		},
		description: {
			type: "string",
			is_base: false,
			description: "A human-readable string describing this image.",
		},
		cinder_encryption_key_id: {
			type: "string",
			is_base: false,
			description:
				"Identifier in the OpenStack Key Management Service for the encryption key for the Block Storage Service to use when mounting a volume created from this image",
		},
		cinder_encryption_key_deletion_policy: {
			type: "string",
			enum: ["on_image_deletion", "do_not_delete"],
			is_base: false,
			description:
				"States the condition under which the Image Service will delete the object associated with the 'cinder_encryption_key_id' image property.",
		},
	};
}

/** `GET /v2/schemas/image`. */
export function imageSchema(formats: FormatPolicy) {
	return {
		name: "image",
		properties: imageSchemaProperties(formats),
		additionalProperties: { type: "string" },
		links: [
			{ rel: "self", href: "{self}" },
			{ rel: "enclosure", href: "{file}" },
			{ rel: "describedby", href: "{schema}" },
		],
	};
}

/** `GET /v2/schemas/images`. */
export function imagesSchema(formats: FormatPolicy) {
	const { name: _name, ...image } = imageSchema(formats);
	return {
		name: "images",
		properties: {
			images: { type: "array", items: { type: "object", ...image } },
			first: { type: "string" },
			next: { type: "string" },
			schema: { type: "string" },
		},
		links: [
			{ rel: "first", href: "{first}" },
			{ rel: "next", href: "{next}" },
			{ rel: "describedby", href: "{schema}" },
		],
	};
}

/** `GET /v2/schemas/member`. */
export function memberSchema() {
	return {
		name: "member",
		properties: {
			member_id: { type: "string", description: "An identifier for the image member (tenantId)" },
			image_id: {
				type: "string",
				pattern: UUID_PATTERN,
				description: "An identifier for the image",
			},
			created_at: { type: "string", description: "Date and time of image member creation" },
			updated_at: {
				type: "string",
				description: "Date and time of last modification of image member",
			},
			status: {
				type: "string",
				enum: ["pending", "accepted", "rejected"],
				description: "The status of this image member",
			},
			schema: { type: "string", readOnly: true },
		},
	};
}

/** `GET /v2/schemas/members`. */
export function membersSchema() {
	const { name: _name, ...member } = memberSchema();
	return {
		name: "members",
		properties: {
			members: { type: "array", items: member },
			schema: { type: "string" },
		},
		links: [{ rel: "describedby", href: "{schema}" }],
	};
}
