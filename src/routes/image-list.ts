import { type Context, Hono } from "hono";
import type { AppEnv } from "../app-env";
import { DEFAULT_LIST_LIMIT, LIST_SORT_KEYS, MAX_LIST_LIMIT } from "../domain/glance-rules";
import { methodNotAllowed } from "../http/errors";
import { ListParamsSchema, parseListQuery } from "../http/list-query";
import { errors, jsonContent, requestIdHeader } from "../openapi/components";
import { describe } from "../openapi/describe";
import { jsonSchemaOf } from "../openapi/json-schema";
import type { Json } from "../openapi/types";

type ListParam = keyof typeof ListParamsSchema.entries;

/** What each list parameter does. Typed by the schema that parses them: none goes undescribed. */
const LIST_PARAM_DOCS: Record<ListParam, string> = {
	name: "Only images with exactly this name.",
	status: "Only images in this status (without it: every status but killed and deleted).",
	container_format: "Only images with this container format.",
	disk_format: "Only images with this disk format.",
	min_ram: "Only images whose min_ram equals this (a non-negative integer).",
	min_disk: "Only images whose min_disk equals this (a non-negative integer).",
	size_min: "Only images of at least this many bytes.",
	size_max: "Only images of at most this many bytes.",
	is_public:
		"Admins only: true, false, or none (every image). Others always see public images plus their own and shared ones.",
	protected: "true or false.",
	"changes-since":
		"ISO 8601 timestamp: only images updated after it, deleted and killed ones included.",
	limit: `Page size (default ${DEFAULT_LIST_LIMIT}; larger values are capped at ${MAX_LIST_LIMIT}).`,
	marker: "The id of the last image of the previous page; the page starts after it.",
	sort_key: `Sort key: ${LIST_SORT_KEYS.join(", ")}.`,
	sort_dir: "asc or desc.",
};

const LIST_PARAM_EXAMPLES: Partial<Record<ListParam, string>> = {
	name: "cirros",
	disk_format: "qcow2",
	size_max: "1073741824",
	limit: "10",
	sort_key: "size",
	sort_dir: "desc",
};

function listParameters(): Json[] {
	const params: Json[] = Object.entries(ListParamsSchema.entries).map(([name, schema]) => ({
		name,
		in: "query",
		required: false,
		description: LIST_PARAM_DOCS[name as ListParam],
		schema: jsonSchemaOf(schema),
		...(LIST_PARAM_EXAMPLES[name as ListParam]
			? { example: LIST_PARAM_EXAMPLES[name as ListParam] }
			: {}),
	}));
	params.push({
		name: "property-{key}",
		in: "query",
		required: false,
		description:
			"`property-<key>=<value>`: only images with that property value; any number of them. (Shown here as one parameter: substitute the key into the name.)",
		schema: { type: "string" },
	});
	return params;
}

const LIST_ERRORS = errors(400, 401);

const listImagesRootDoc = describe({
	operationId: "listImagesRoot",
	summary: "List images (brief): alias of GET /v1/images; without a token, the version document",
	description:
		'With X-Auth-Token: the brief list, as Glance\'s v1 router answered `/`. Without one: `{"version": {...}}`, which keystoneauth (openstacksdk, `openstack`) reads when its endpoint ends in `/v1` (it asks without a token first).',
	tags: ["images"],
	// Without a token routes/versions.ts answers, before the v1 routes ask for one.
	security: [],
	parameters: listParameters(),
	responses: {
		"200": {
			description: "A page of images, or (without a token) this version's document.",
			headers: requestIdHeader,
			content: jsonContent("BriefListOrVersion"),
		},
		...errors(400),
	},
});

const listImagesDoc = describe({
	operationId: "listImages",
	summary: "List images (brief)",
	description:
		"Images the caller may see: public, their own, and shared with them. Brief records (id, name, size, formats, checksum). Page with `limit` and `marker`.",
	tags: ["images"],
	parameters: listParameters(),
	responses: {
		"200": {
			description: "A page of images.",
			headers: requestIdHeader,
			content: jsonContent("BriefList"),
		},
		...LIST_ERRORS,
	},
});

const listImagesDetailDoc = describe({
	operationId: "listImagesDetail",
	summary: "List images (full records)",
	description: "Same filters, sorting and paging as GET /v1/images; every field and property.",
	tags: ["images"],
	parameters: listParameters(),
	responses: {
		"200": {
			description: "A page of images.",
			headers: requestIdHeader,
			content: jsonContent("DetailList"),
		},
		...LIST_ERRORS,
	},
});

async function briefList(c: Context<AppEnv>): Promise<Response> {
	const query = parseListQuery(new URL(c.req.url).searchParams);
	const images = await c.var.images.list(query, c.var.identity, false);
	return c.json({ images });
}

/** GET /v1/images (brief), /v1/images/detail (full records), and /v1/ as the brief list. */
export function imageListRoutes() {
	const app = new Hono<AppEnv>();

	app.get("/", listImagesRootDoc, (c) => briefList(c));
	app.get("/images", listImagesDoc, (c, next) => {
		// Hono routes HEAD through GET handlers; Glance answers HEAD on the collection with a 405
		// "Allow: GET, POST", which the collection routes (mounted after these) give.
		if (c.req.method === "HEAD") return next();
		return briefList(c);
	});

	app.get("/images/detail", listImagesDetailDoc, async (c) => {
		// Glance's detail action refuses HEAD itself (contract §2.2).
		if (c.req.method === "HEAD") throw methodNotAllowed(["GET"]);
		const query = parseListQuery(new URL(c.req.url).searchParams);
		const records = await c.var.images.list(query, c.var.identity, true);
		// The records come as JSON from the database (d1-image-list.ts): joined, not re-encoded.
		return c.body(`{"images":[${records.join(",")}]}`, 200, {
			"Content-Type": "application/json",
		});
	});
	app.all("/images/detail", () => {
		throw methodNotAllowed(["GET", "HEAD"]);
	});

	return app;
}
