// Who may do what to an image (issue 4, contract §5.3–§5.8 and §9, design.md §2 and §6): every
// image and member route, as every kind of caller, against a private, a public and a deleted
// image. Each cell is the contract's answer: a status, or for a 200 that lists things, what the
// caller was shown. Invisible → 404, never 403; a member editing a shared image → 404 (design.md
// §2, where the reference answered 500); anyone without a valid token → 401.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { metaHeaders } from "../helpers/fixtures";
import { TOKENS } from "../helpers/http";

const CALLERS = ["owner", "other", "member", "sharer", "admin", "anonymous", "bad"] as const;
type Who = (typeof CALLERS)[number];
type Kind = "private" | "public" | "deleted";

/** The tenant behind each token (vitest.config.ts); `other` has no relation to the images. */
const TENANT: Partial<Record<Who, string>> = {
	owner: "tenant-a",
	other: "tenant-b",
	sharer: "tenant-c",
	member: "tenant-d",
	admin: "admin-tenant",
};
/** Every fixture image is owned by tenant-a and shared with the plain member and the sharer. */
const MEMBERS = [
	{ member_id: "tenant-d", can_share: false },
	{ member_id: "tenant-c", can_share: true },
];

interface Fixture {
	id: string;
	name: string;
}

interface Init {
	method?: string;
	headers?: Record<string, string>;
	body?: BodyInit;
}

/**
 * Calls the worker's fetch handler as `who` ("bad": a token neither AUTH_TOKENS nor the test
 * Keystone knows). In this isolate, not through `exports.default`: every call through that binding
 * costs more than the last (workers-sdk#15446), and this file makes about a thousand.
 */
async function call(who: Who, path: string, init: Init = {}): Promise<Response> {
	const headers = new Headers(init.headers);
	if (who === "bad") headers.set("x-auth-token", "not-a-real-token");
	else if (who !== "anonymous") headers.set("x-auth-token", TOKENS[who]);
	const request = new Request(`https://glance.test${path}`, { ...init, headers });
	return worker.fetch(request, env, createExecutionContext());
}

function jsonInit(method: string, body: unknown): Init {
	return { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

let serial = 0;

/**
 * A fresh active image owned by tenant-a with MEMBERS: private (the owner uploads it), public
 * (an admin uploads it for tenant-a: is_public=true is admin-only) or deleted (private, then
 * deleted by the owner).
 */
async function makeImage(kind: Kind): Promise<Fixture> {
	const name = `access-matrix-${kind}-${++serial}`;
	const data = new Uint8Array(64).fill(serial % 256);
	const extra: Record<string, string> =
		kind === "public" ? { "x-image-meta-is_public": "True", "x-image-meta-owner": "tenant-a" } : {};
	const created = await call(kind === "public" ? "admin" : "owner", "/v1/images", {
		method: "POST",
		headers: metaHeaders({
			"x-image-meta-name": name,
			"x-image-meta-disk_format": "raw",
			"content-type": "application/octet-stream",
			"content-length": String(data.byteLength),
			...extra,
		}),
		body: data,
	});
	expect(created.status).toBe(201);
	const { image } = (await created.json()) as { image: { id: string; owner: string } };
	expect(image.owner).toBe("tenant-a");
	const shared = await call(
		"owner",
		`/v1/images/${image.id}/members`,
		jsonInit("PUT", { memberships: MEMBERS }),
	);
	expect(shared.status).toBe(204);
	if (kind === "deleted") {
		expect((await call("owner", `/v1/images/${image.id}`, { method: "DELETE" })).status).toBe(200);
	}
	return { id: image.id, name };
}

/** What a 200 showed: the member rows seen, or whether the fixture was listed. */
type Shown = "all" | "own" | "none" | "listed" | "absent";
type Cell = number | Shown;

interface Route {
	/** Changes the image or its members: every cell gets a fresh fixture. */
	mutates?: boolean;
	send(f: Fixture, who: Who): Promise<Response>;
	/** Reads a 200 body into what the caller was shown. */
	shown?(res: Response, f: Fixture, who: Who): Promise<Shown | string>;
}

async function membersShown(res: Response, _f: Fixture, who: Who): Promise<Shown | string> {
	const { members } = (await res.json()) as { members: unknown[] };
	const own = MEMBERS.filter((m) => m.member_id === TENANT[who]);
	if (JSON.stringify(members) === JSON.stringify(MEMBERS)) return "all";
	if (members.length === 0) return "none";
	if (own.length > 0 && JSON.stringify(members) === JSON.stringify(own)) return "own";
	return JSON.stringify(members);
}

function listed(key: "images" | "shared_images", idKey: "id" | "image_id") {
	return async (res: Response, f: Fixture): Promise<Shown> => {
		const body = (await res.json()) as Record<string, Record<string, string>[]>;
		return body[key].some((item) => item[idKey] === f.id) ? "listed" : "absent";
	};
}

const ROUTES = {
	"HEAD image": { send: (f, who) => call(who, `/v1/images/${f.id}`, { method: "HEAD" }) },
	"GET image": { send: (f, who) => call(who, `/v1/images/${f.id}`) },
	"PUT image": {
		mutates: true,
		send: (f, who) =>
			call(who, `/v1/images/${f.id}`, {
				method: "PUT",
				headers: { "x-image-meta-min_ram": "7", "x-glance-registry-purge-props": "false" },
			}),
	},
	"DELETE image": {
		mutates: true,
		send: (f, who) => call(who, `/v1/images/${f.id}`, { method: "DELETE" }),
	},
	"GET members": { send: (f, who) => call(who, `/v1/images/${f.id}/members`), shown: membersShown },
	"PUT members": {
		mutates: true,
		send: (f, who) =>
			call(
				who,
				`/v1/images/${f.id}/members`,
				jsonInit("PUT", { memberships: [...MEMBERS, { member_id: "tenant-e" }] }),
			),
	},
	"PUT member": {
		mutates: true,
		send: (f, who) =>
			call(
				who,
				`/v1/images/${f.id}/members/tenant-e`,
				jsonInit("PUT", { member: { can_share: true } }),
			),
	},
	"DELETE member": {
		mutates: true,
		send: (f, who) => call(who, `/v1/images/${f.id}/members/tenant-d`, { method: "DELETE" }),
	},
	"GET member": { send: (f, who) => call(who, `/v1/images/${f.id}/members/tenant-d`) },
	"GET shared-images/tenant-d": {
		send: (_f, who) => call(who, "/v1/shared-images/tenant-d"),
		shown: listed("shared_images", "image_id"),
	},
	"GET shared-images/tenant-c": {
		send: (_f, who) => call(who, "/v1/shared-images/tenant-c"),
		shown: listed("shared_images", "image_id"),
	},
	"GET images": {
		send: (f, who) => call(who, `/v1/images?name=${f.name}`),
		shown: listed("images", "id"),
	},
	"GET images/detail": {
		send: (f, who) => call(who, `/v1/images/detail?name=${f.name}`),
		shown: listed("images", "id"),
	},
} satisfies Record<string, Route>;
type RouteName = keyof typeof ROUTES;

const X = 401; // no token or a bad token: 401 everywhere, with WWW-Authenticate

// biome-ignore format: the matrix reads as a table, one column per caller
const MATRIX: [RouteName, Kind, [Cell, Cell, Cell, Cell, Cell, Cell, Cell]][] = [
	//                                          owner     other     member    sharer    admin     anon bad
	["HEAD image",                 "private", [200,      404,      200,      200,      200,      X,   X]],
	["HEAD image",                 "public",  [200,      200,      200,      200,      200,      X,   X]],
	["HEAD image",                 "deleted", [404,      404,      404,      404,      200,      X,   X]],
	["GET image",                  "private", [200,      404,      200,      200,      200,      X,   X]],
	["GET image",                  "public",  [200,      200,      200,      200,      200,      X,   X]],
	["GET image",                  "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["PUT image",                  "private", [200,      404,      404,      404,      200,      X,   X]],
	["PUT image",                  "public",  [200,      403,      403,      403,      200,      X,   X]],
	["PUT image",                  "deleted", [404,      404,      404,      404,      403,      X,   X]],
	["DELETE image",               "private", [200,      404,      404,      404,      200,      X,   X]],
	["DELETE image",               "public",  [200,      403,      403,      403,      200,      X,   X]],
	["DELETE image",               "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["GET members",                "private", ["all",    404,      "own",    "own",    "all",    X,   X]],
	["GET members",                "public",  ["all",    "none",   "own",    "own",    "all",    X,   X]],
	["GET members",                "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["PUT members",                "private", [204,      404,      404,      204,      204,      X,   X]],
	["PUT members",                "public",  [204,      404,      404,      204,      204,      X,   X]],
	["PUT members",                "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["PUT member",                 "private", [204,      404,      404,      204,      204,      X,   X]],
	["PUT member",                 "public",  [204,      404,      404,      204,      204,      X,   X]],
	["PUT member",                 "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["DELETE member",              "private", [204,      404,      404,      204,      204,      X,   X]],
	["DELETE member",              "public",  [204,      404,      404,      204,      204,      X,   X]],
	["DELETE member",              "deleted", [404,      404,      404,      404,      404,      X,   X]],
	["GET member",                 "private", [405,      405,      405,      405,      405,      X,   X]],
	["GET member",                 "public",  [405,      405,      405,      405,      405,      X,   X]],
	["GET member",                 "deleted", [405,      405,      405,      405,      405,      X,   X]],
	["GET shared-images/tenant-d", "private", ["listed", "absent", "listed", "absent", "listed", X,   X]],
	["GET shared-images/tenant-d", "public",  ["listed", "absent", "listed", "absent", "listed", X,   X]],
	["GET shared-images/tenant-d", "deleted", ["absent", "absent", "absent", "absent", "absent", X,   X]],
	["GET shared-images/tenant-c", "private", ["listed", "absent", "absent", "listed", "listed", X,   X]],
	["GET shared-images/tenant-c", "public",  ["listed", "absent", "absent", "listed", "listed", X,   X]],
	["GET shared-images/tenant-c", "deleted", ["absent", "absent", "absent", "absent", "absent", X,   X]],
	// An admin's plain list is its own tenant's view (contract §5.1): a private image is not in it.
	["GET images",                 "private", ["listed", "absent", "listed", "listed", "absent", X,   X]],
	["GET images",                 "public",  ["listed", "listed", "listed", "listed", "listed", X,   X]],
	["GET images",                 "deleted", ["absent", "absent", "absent", "absent", "absent", X,   X]],
	["GET images/detail",          "private", ["listed", "absent", "listed", "listed", "absent", X,   X]],
	["GET images/detail",          "public",  ["listed", "listed", "listed", "listed", "listed", X,   X]],
	["GET images/detail",          "deleted", ["absent", "absent", "absent", "absent", "absent", X,   X]],
];

/** The image and its members as an admin sees them. */
async function snapshot(f: Fixture): Promise<string> {
	const head = await call("admin", `/v1/images/${f.id}`, { method: "HEAD" });
	const meta = ["status", "deleted", "min_ram", "updated_at"].map((k) =>
		head.headers.get(`x-image-meta-${k}`),
	);
	const members = await call("admin", `/v1/images/${f.id}/members`);
	return JSON.stringify([head.status, meta, members.status, await members.text()]);
}

const shared: Partial<Record<Kind, Fixture>> = {};
beforeAll(async () => {
	for (const kind of ["private", "public", "deleted"] as const)
		shared[kind] = await makeImage(kind);
});

describe.each(MATRIX)("%s on a %s image", (routeName, kind, cells) => {
	const route: Route = ROUTES[routeName];
	it.each(CALLERS.map((who, i) => [who, cells[i]] as const))("as %s → %s", async (who, want) => {
		const fixture = route.mutates ? await makeImage(kind) : (shared[kind] as Fixture);
		const before = route.mutates ? await snapshot(fixture) : "";
		const res = await route.send(fixture, who);
		const read = res.status === 200 ? route.shown : undefined;
		const got = read ? await read(res, fixture, who) : res.status;
		if (!read) await res.arrayBuffer();
		expect(got, `${routeName} /v1/images/${fixture.id} as ${who}`).toBe(want);
		if (res.status === 401) expect(res.headers.get("www-authenticate")).toBeTruthy();
		// A mutation changes the image or its members exactly when it answers 2xx.
		if (route.mutates) expect((await snapshot(fixture)) !== before, "changed").toBe(res.ok);
	});
});
