// Who may do what through Image API v2 (glance-v2-contract §2.1, §5, §6.3): every v2 route, as
// every kind of caller, against an image of each visibility and a deleted one. Each fixture is a
// shared image of tenant-a with three memberships — pending (tenant-c), accepted (tenant-d),
// rejected (tenant-f) — then made private, public or community, or deleted: member rows stay
// through a visibility change and must give nothing on a non-shared image. Each cell is the
// contract's answer: a status, or for a 200 that shows things, what the caller was shown.
// Invisible → 404, never 403; visible but not the caller's to change → 403; no token → 401.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { TOKENS } from "../helpers/http";
import { PATCH_V21 } from "../helpers/v2";

const CALLERS = [
	"owner",
	"other",
	"pending",
	"accepted",
	"rejected",
	"admin",
	"anonymous",
	"bad",
] as const;
type Who = (typeof CALLERS)[number];
const KINDS = ["shared", "private", "public", "community", "deleted"] as const;
type Kind = (typeof KINDS)[number];

/** The token and tenant behind each caller (vitest.config.ts); `other` is no member. */
const CALLER: Partial<Record<Who, { token: string; tenant: string }>> = {
	owner: { token: TOKENS.owner, tenant: "tenant-a" },
	other: { token: TOKENS.other, tenant: "tenant-b" },
	pending: { token: TOKENS.sharer, tenant: "tenant-c" },
	accepted: { token: TOKENS.member, tenant: "tenant-d" },
	rejected: { token: TOKENS.third, tenant: "tenant-f" },
	admin: { token: TOKENS.admin, tenant: "admin-tenant" },
};
const tenantOf = (who: Who) => CALLER[who]?.tenant ?? "nobody";
const MEMBER_STATUS: Partial<Record<Who, string>> = {
	pending: "pending",
	accepted: "accepted",
	rejected: "rejected",
};

interface Init {
	method?: string;
	headers?: Record<string, string>;
	body?: BodyInit;
}

/**
 * Calls the worker's fetch handler as `who` ("bad": a token nobody knows), in this isolate, as
 * the v1 matrix does (calls through `exports.default` get slower and slower: workers-sdk#15446).
 */
async function call(who: Who, path: string, init: Init = {}): Promise<Response> {
	const headers = new Headers(init.headers);
	if (who === "bad") headers.set("x-auth-token", "not-a-real-token");
	else if (who !== "anonymous") headers.set("x-auth-token", CALLER[who]?.token ?? "");
	const request = new Request(`https://glance.test${path}`, { ...init, headers });
	return worker.fetch(request, env, createExecutionContext());
}

const json = (method: string, body: unknown): Init => ({
	method,
	headers: { "content-type": "application/json" },
	body: JSON.stringify(body),
});

async function expectStatus(res: Response, status: number) {
	expect(res.status, await res.clone().text()).toBe(status);
	await res.arrayBuffer();
}

interface Fixture {
	id: string;
	name: string;
}

let serial = 0;

/** What a fixture holds: data (active), none yet (queued), or staged data (uploading). */
type Holding = "active" | "queued" | "staged";

/** A fresh image of the kind, as described at the top; tagged `t`, active unless asked. */
async function makeImage(kind: Kind, holding: Holding = "active"): Promise<Fixture> {
	const name = `v2-access-${kind}-${++serial}`;
	const created = await call(
		"owner",
		"/v2/images",
		json("POST", { name, disk_format: "raw", container_format: "bare", tags: ["t"] }),
	);
	expect(created.status).toBe(201);
	const { id } = (await created.json()) as { id: string };
	const data = new Uint8Array(64).fill(serial % 256);
	if (holding !== "queued") {
		const target = holding === "staged" ? "stage" : "file";
		await expectStatus(
			await call("owner", `/v2/images/${id}/${target}`, {
				method: "PUT",
				headers: { "content-type": "application/octet-stream" },
				body: data,
			}),
			204,
		);
	}
	for (const who of ["pending", "accepted", "rejected"] as const) {
		await expectStatus(
			await call("owner", `/v2/images/${id}/members`, json("POST", { member: tenantOf(who) })),
			200,
		);
		if (who !== "pending") {
			await expectStatus(
				await call(who, `/v2/images/${id}/members/${tenantOf(who)}`, json("PUT", { status: who })),
				200,
			);
		}
	}
	if (kind === "deleted") {
		await expectStatus(await call("owner", `/v2/images/${id}`, { method: "DELETE" }), 204);
	} else if (kind !== "shared") {
		const patch = await call(kind === "public" ? "admin" : "owner", `/v2/images/${id}`, {
			method: "PATCH",
			headers: { "content-type": PATCH_V21 },
			body: JSON.stringify([{ op: "replace", path: "/visibility", value: kind }]),
		});
		await expectStatus(patch, 200);
	}
	return { id, name };
}

/** What a 200 showed: the memberships seen, or whether the fixture was listed. */
type Shown = "all" | "own" | "listed" | "absent";
type Cell = number | Shown;

interface Route {
	/** Changes the image or its memberships: each cell gets a fresh fixture. */
	mutates?: boolean;
	/** What a fresh fixture holds for this route (active unless said). */
	holding?: Holding;
	/** Puts a fresh fixture in the state the route needs (as the owner or an admin). */
	prepare?(f: Fixture): Promise<unknown>;
	send(f: Fixture, who: Who): Promise<Response>;
	/** Reads a 200 body into what the caller was shown. */
	shown?(res: Response, f: Fixture, who: Who): Promise<Shown | string>;
}

async function membersShown(res: Response, _f: Fixture, who: Who): Promise<Shown | string> {
	const { members } = (await res.json()) as { members: { member_id: string }[] };
	const ids = members.map((m) => m.member_id).join(",");
	if (ids === "tenant-c,tenant-d,tenant-f") return "all";
	if (ids === tenantOf(who)) return "own";
	return ids;
}

function listed(query: string): Route {
	return {
		send: (f, who) => call(who, `/v2/images?name=${f.name}${query}`),
		shown: async (res, f) => {
			const { images } = (await res.json()) as { images: { id: string }[] };
			return images.some((i) => i.id === f.id) ? "listed" : "absent";
		},
	};
}

/** The owner opens a one-part staging session of 16 bytes; false if the image is deleted. */
async function openStaging(f: Fixture): Promise<boolean> {
	const res = await call("owner", `/v2/images/${f.id}/upload-session`, json("POST", { size: 16 }));
	expect([201, 404]).toContain(res.status);
	await res.arrayBuffer();
	return res.status === 201;
}

const putStagingPart = (f: Fixture, who: Who) =>
	call(who, `/v2/images/${f.id}/upload-session/parts/1`, {
		method: "PUT",
		headers: { "content-type": "application/octet-stream" },
		body: new Uint8Array(16).fill(7),
	});

/** A status the caller's own membership does not have, so that a 200 is a change. */
const NEXT_STATUS: Record<string, string> = {
	pending: "accepted",
	accepted: "rejected",
	rejected: "pending",
};

const ROUTES = {
	"GET image": { send: (f, who) => call(who, `/v2/images/${f.id}`) },
	"PATCH image": {
		mutates: true,
		send: (f, who) =>
			call(who, `/v2/images/${f.id}`, {
				method: "PATCH",
				headers: { "content-type": PATCH_V21 },
				body: JSON.stringify([{ op: "replace", path: "/min_ram", value: 7 }]),
			}),
	},
	"DELETE image": {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}`, { method: "DELETE" }),
	},
	"PUT file": {
		mutates: true,
		send: (f, who) =>
			call(who, `/v2/images/${f.id}/file`, {
				method: "PUT",
				headers: { "content-type": "application/octet-stream" },
				body: new Uint8Array(16),
			}),
	},
	"GET file": { send: (f, who) => call(who, `/v2/images/${f.id}/file`) },
	"PUT tag": {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}/tags/new`, { method: "PUT" }),
	},
	"DELETE tag": {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}/tags/t`, { method: "DELETE" }),
	},
	deactivate: {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}/actions/deactivate`, { method: "POST" }),
	},
	reactivate: {
		mutates: true,
		prepare: async (f) => {
			const res = await call("admin", `/v2/images/${f.id}/actions/deactivate`, { method: "POST" });
			// A deleted fixture cannot be deactivated; the others must be.
			expect([204, 404]).toContain(res.status);
		},
		send: (f, who) => call(who, `/v2/images/${f.id}/actions/reactivate`, { method: "POST" }),
	},
	"PUT stage": {
		mutates: true,
		holding: "queued",
		send: (f, who) =>
			call(who, `/v2/images/${f.id}/stage`, {
				method: "PUT",
				headers: { "content-type": "application/octet-stream" },
				body: new Uint8Array(16),
			}),
	},
	"POST import": {
		mutates: true,
		holding: "staged",
		send: (f, who) =>
			call(who, `/v2/images/${f.id}/import`, json("POST", { method: { name: "glance-direct" } })),
	},
	"POST upload-session": {
		mutates: true,
		holding: "queued",
		send: (f, who) => call(who, `/v2/images/${f.id}/upload-session`, json("POST", { size: 16 })),
	},
	"GET upload-session": {
		holding: "queued",
		prepare: (f) => openStaging(f),
		send: (f, who) => call(who, `/v2/images/${f.id}/upload-session`),
	},
	"PUT upload-session part": {
		mutates: true,
		holding: "queued",
		prepare: (f) => openStaging(f),
		send: (f, who) => putStagingPart(f, who),
	},
	"POST upload-session complete": {
		mutates: true,
		holding: "queued",
		prepare: async (f) => {
			if (await openStaging(f)) await expectStatus(await putStagingPart(f, "owner"), 200);
		},
		send: (f, who) => call(who, `/v2/images/${f.id}/upload-session/complete`, { method: "POST" }),
	},
	"DELETE upload-session": {
		mutates: true,
		holding: "queued",
		prepare: (f) => openStaging(f),
		send: (f, who) => call(who, `/v2/images/${f.id}/upload-session`, { method: "DELETE" }),
	},
	"GET tasks": { send: (f, who) => call(who, `/v2/images/${f.id}/tasks`) },
	"GET members": { send: (f, who) => call(who, `/v2/images/${f.id}/members`), shown: membersShown },
	"POST members": {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}/members`, json("POST", { member: "tenant-x" })),
	},
	"GET member tenant-d": { send: (f, who) => call(who, `/v2/images/${f.id}/members/tenant-d`) },
	"GET own member": {
		send: (f, who) => call(who, `/v2/images/${f.id}/members/${tenantOf(who)}`),
	},
	"PUT member tenant-d": {
		mutates: true,
		send: (f, who) =>
			call(who, `/v2/images/${f.id}/members/tenant-d`, json("PUT", { status: "pending" })),
	},
	"PUT own member": {
		mutates: true,
		send: (f, who) =>
			call(
				who,
				`/v2/images/${f.id}/members/${tenantOf(who)}`,
				json("PUT", { status: NEXT_STATUS[MEMBER_STATUS[who] ?? "pending"] }),
			),
	},
	"DELETE member tenant-d": {
		mutates: true,
		send: (f, who) => call(who, `/v2/images/${f.id}/members/tenant-d`, { method: "DELETE" }),
	},
	"GET images": listed(""),
	"GET images member_status=pending": listed("&member_status=pending"),
	"GET images member_status=rejected": listed("&member_status=rejected"),
	"GET images member_status=all visibility=all": listed("&member_status=all&visibility=all"),
	"GET images visibility=shared": listed("&visibility=shared"),
	"GET images visibility=private": listed("&visibility=private"),
	"GET images visibility=community": listed("&visibility=community"),
} satisfies Record<string, Route>;
type RouteName = keyof typeof ROUTES;

type Row = [Cell, Cell, Cell, Cell, Cell, Cell];
const X = 401; // no token or a bad token: 401 everywhere, with WWW-Authenticate
const L = "listed";
const A = "absent";

// biome-ignore format: the matrix reads as a table, one column per caller (anonymous and bad: 401)
const MATRIX: [RouteName, Kind, Row][] = [
	//                                                          owner  other  pending accepted rejected admin
	["GET image",                                 "shared",    [200,   404,   200,    200,     200,     200]],
	["GET image",                                 "private",   [200,   404,   404,    404,     404,     200]],
	["GET image",                                 "public",    [200,   200,   200,    200,     200,     200]],
	["GET image",                                 "community", [200,   200,   200,    200,     200,     200]],
	["GET image",                                 "deleted",   [404,   404,   404,    404,     404,     404]],
	["PATCH image",                               "shared",    [200,   404,   403,    403,     403,     200]],
	["PATCH image",                               "private",   [200,   404,   404,    404,     404,     200]],
	["PATCH image",                               "public",    [200,   403,   403,    403,     403,     200]],
	["PATCH image",                               "community", [200,   403,   403,    403,     403,     200]],
	["PATCH image",                               "deleted",   [404,   404,   404,    404,     404,     404]],
	["DELETE image",                              "shared",    [204,   404,   403,    403,     403,     204]],
	["DELETE image",                              "private",   [204,   404,   404,    404,     404,     204]],
	["DELETE image",                              "public",    [204,   403,   403,    403,     403,     204]],
	["DELETE image",                              "community", [204,   403,   403,    403,     403,     204]],
	["DELETE image",                              "deleted",   [404,   404,   404,    404,     404,     404]],
	// The fixtures are active: data is refused even to those who may change the image.
	["PUT file",                                  "shared",    [409,   404,   403,    403,     403,     409]],
	["PUT file",                                  "private",   [409,   404,   404,    404,     404,     409]],
	["PUT file",                                  "public",    [409,   403,   403,    403,     403,     409]],
	["PUT file",                                  "community", [409,   403,   403,    403,     403,     409]],
	["PUT file",                                  "deleted",   [404,   404,   404,    404,     404,     404]],
	["GET file",                                  "shared",    [200,   404,   200,    200,     200,     200]],
	["GET file",                                  "private",   [200,   404,   404,    404,     404,     200]],
	["GET file",                                  "public",    [200,   200,   200,    200,     200,     200]],
	["GET file",                                  "community", [200,   200,   200,    200,     200,     200]],
	["GET file",                                  "deleted",   [404,   404,   404,    404,     404,     404]],
	["PUT tag",                                   "shared",    [204,   404,   403,    403,     403,     204]],
	["PUT tag",                                   "private",   [204,   404,   404,    404,     404,     204]],
	["PUT tag",                                   "public",    [204,   403,   403,    403,     403,     204]],
	["PUT tag",                                   "community", [204,   403,   403,    403,     403,     204]],
	["PUT tag",                                   "deleted",   [404,   404,   404,    404,     404,     404]],
	["DELETE tag",                                "shared",    [204,   404,   403,    403,     403,     204]],
	["DELETE tag",                                "private",   [204,   404,   404,    404,     404,     204]],
	["DELETE tag",                                "public",    [204,   403,   403,    403,     403,     204]],
	["DELETE tag",                                "community", [204,   403,   403,    403,     403,     204]],
	["DELETE tag",                                "deleted",   [404,   404,   404,    404,     404,     404]],
	["deactivate",                                "shared",    [204,   404,   403,    403,     403,     204]],
	["deactivate",                                "private",   [204,   404,   404,    404,     404,     204]],
	["deactivate",                                "public",    [204,   403,   403,    403,     403,     204]],
	["deactivate",                                "community", [204,   403,   403,    403,     403,     204]],
	["deactivate",                                "deleted",   [404,   404,   404,    404,     404,     404]],
	["reactivate",                                "shared",    [204,   404,   403,    403,     403,     204]],
	["reactivate",                                "private",   [204,   404,   404,    404,     404,     204]],
	["reactivate",                                "public",    [204,   403,   403,    403,     403,     204]],
	["reactivate",                                "community", [204,   403,   403,    403,     403,     204]],
	["reactivate",                                "deleted",   [404,   404,   404,    404,     404,     404]],
	// Staging and importing are the owner's (or an admin's), on a queued or a staged image.
	["PUT stage",                                 "shared",    [204,   404,   403,    403,     403,     204]],
	["PUT stage",                                 "private",   [204,   404,   404,    404,     404,     204]],
	["PUT stage",                                 "public",    [204,   403,   403,    403,     403,     204]],
	["PUT stage",                                 "community", [204,   403,   403,    403,     403,     204]],
	["PUT stage",                                 "deleted",   [404,   404,   404,    404,     404,     404]],
	["POST import",                               "shared",    [202,   404,   403,    403,     403,     202]],
	["POST import",                               "private",   [202,   404,   404,    404,     404,     202]],
	["POST import",                               "public",    [202,   403,   403,    403,     403,     202]],
	["POST import",                               "community", [202,   403,   403,    403,     403,     202]],
	["POST import",                               "deleted",   [404,   404,   404,    404,     404,     404]],
	["GET tasks",                                 "shared",    [200,   404,   200,    200,     200,     200]],
	["GET tasks",                                 "private",   [200,   404,   404,    404,     404,     200]],
	["GET tasks",                                 "public",    [200,   200,   200,    200,     200,     200]],
	["GET tasks",                                 "community", [200,   200,   200,    200,     200,     200]],
	["GET tasks",                                 "deleted",   [404,   404,   404,    404,     404,     404]],
	// Staging in parts (the upload-session extension under v2): the owner's, as staging is.
	["POST upload-session",                       "shared",    [201,   404,   403,    403,     403,     201]],
	["POST upload-session",                       "private",   [201,   404,   404,    404,     404,     201]],
	["POST upload-session",                       "public",    [201,   403,   403,    403,     403,     201]],
	["POST upload-session",                       "community", [201,   403,   403,    403,     403,     201]],
	["POST upload-session",                       "deleted",   [404,   404,   404,    404,     404,     404]],
	["GET upload-session",                        "shared",    [200,   404,   403,    403,     403,     200]],
	["GET upload-session",                        "private",   [200,   404,   404,    404,     404,     200]],
	["GET upload-session",                        "public",    [200,   403,   403,    403,     403,     200]],
	["GET upload-session",                        "community", [200,   403,   403,    403,     403,     200]],
	["GET upload-session",                        "deleted",   [404,   404,   404,    404,     404,     404]],
	["PUT upload-session part",                   "shared",    [200,   404,   403,    403,     403,     200]],
	["PUT upload-session part",                   "private",   [200,   404,   404,    404,     404,     200]],
	["PUT upload-session part",                   "public",    [200,   403,   403,    403,     403,     200]],
	["PUT upload-session part",                   "community", [200,   403,   403,    403,     403,     200]],
	["PUT upload-session part",                   "deleted",   [404,   404,   404,    404,     404,     404]],
	["POST upload-session complete",              "shared",    [200,   404,   403,    403,     403,     200]],
	["POST upload-session complete",              "private",   [200,   404,   404,    404,     404,     200]],
	["POST upload-session complete",              "public",    [200,   403,   403,    403,     403,     200]],
	["POST upload-session complete",              "community", [200,   403,   403,    403,     403,     200]],
	["POST upload-session complete",              "deleted",   [404,   404,   404,    404,     404,     404]],
	["DELETE upload-session",                     "shared",    [204,   404,   403,    403,     403,     204]],
	["DELETE upload-session",                     "private",   [204,   404,   404,    404,     404,     204]],
	["DELETE upload-session",                     "public",    [204,   403,   403,    403,     403,     204]],
	["DELETE upload-session",                     "community", [204,   403,   403,    403,     403,     204]],
	["DELETE upload-session",                     "deleted",   [404,   404,   404,    404,     404,     404]],
	// Only shared images have members: 403 to whoever can see another image, 404 to the rest.
	["GET members",                               "shared",    ["all", 404,   "own",  "own",   "own",   "all"]],
	["GET members",                               "private",   [403,   404,   404,    404,     404,     403]],
	["GET members",                               "public",    [403,   403,   403,    403,     403,     403]],
	["GET members",                               "community", [403,   403,   403,    403,     403,     403]],
	["GET members",                               "deleted",   [404,   404,   404,    404,     404,     404]],
	["POST members",                              "shared",    [200,   404,   403,    403,     403,     200]],
	["POST members",                              "private",   [403,   404,   404,    404,     404,     403]],
	["POST members",                              "public",    [403,   403,   403,    403,     403,     403]],
	["POST members",                              "community", [403,   403,   403,    403,     403,     403]],
	["POST members",                              "deleted",   [404,   404,   404,    404,     404,     404]],
	// One membership: a member sees its own only; on a non-shared image nobody sees one.
	["GET member tenant-d",                       "shared",    [200,   404,   404,    200,     404,     200]],
	["GET member tenant-d",                       "private",   [404,   404,   404,    404,     404,     404]],
	["GET member tenant-d",                       "public",    [404,   404,   404,    404,     404,     404]],
	["GET member tenant-d",                       "community", [404,   404,   404,    404,     404,     404]],
	["GET member tenant-d",                       "deleted",   [404,   404,   404,    404,     404,     404]],
	["GET own member",                            "shared",    [404,   404,   200,    200,     200,     404]],
	["GET own member",                            "private",   [404,   404,   404,    404,     404,     404]],
	["GET own member",                            "public",    [404,   404,   404,    404,     404,     404]],
	["GET own member",                            "community", [404,   404,   404,    404,     404,     404]],
	["GET own member",                            "deleted",   [404,   404,   404,    404,     404,     404]],
	// Only the member answers (or an admin): the owner is refused, others cannot see the row.
	["PUT member tenant-d",                       "shared",    [403,   404,   404,    200,     404,     200]],
	["PUT member tenant-d",                       "private",   [403,   404,   404,    404,     404,     403]],
	["PUT member tenant-d",                       "public",    [403,   403,   403,    403,     403,     403]],
	["PUT member tenant-d",                       "community", [403,   403,   403,    403,     403,     403]],
	["PUT member tenant-d",                       "deleted",   [404,   404,   404,    404,     404,     404]],
	["PUT own member",                            "shared",    [403,   404,   200,    200,     200,     404]],
	["PUT own member",                            "private",   [403,   404,   404,    404,     404,     403]],
	["PUT own member",                            "public",    [403,   403,   403,    403,     403,     403]],
	["PUT own member",                            "community", [403,   403,   403,    403,     403,     403]],
	["PUT own member",                            "deleted",   [404,   404,   404,    404,     404,     404]],
	["DELETE member tenant-d",                    "shared",    [204,   404,   403,    403,     403,     204]],
	["DELETE member tenant-d",                    "private",   [403,   404,   404,    404,     404,     403]],
	["DELETE member tenant-d",                    "public",    [403,   403,   403,    403,     403,     403]],
	["DELETE member tenant-d",                    "community", [403,   403,   403,    403,     403,     403]],
	["DELETE member tenant-d",                    "deleted",   [404,   404,   404,    404,     404,     404]],
	// Lists: accepted shares by default; member_status decides only the membership part; admins
	// list every project's images but others' community ones only when asked.
	["GET images",                                "shared",    [L,     A,     A,      L,       A,       L]],
	["GET images",                                "private",   [L,     A,     A,      A,       A,       L]],
	["GET images",                                "public",    [L,     L,     L,      L,       L,       L]],
	["GET images",                                "community", [L,     A,     A,      A,       A,       A]],
	["GET images",                                "deleted",   [A,     A,     A,      A,       A,       A]],
	["GET images member_status=pending",          "shared",    [L,     A,     L,      A,       A,       L]],
	["GET images member_status=pending",          "private",   [L,     A,     A,      A,       A,       L]],
	["GET images member_status=pending",          "public",    [L,     L,     L,      L,       L,       L]],
	["GET images member_status=pending",          "community", [L,     A,     A,      A,       A,       A]],
	["GET images member_status=pending",          "deleted",   [A,     A,     A,      A,       A,       A]],
	["GET images member_status=rejected",         "shared",    [L,     A,     A,      A,       L,       L]],
	["GET images member_status=rejected",         "private",   [L,     A,     A,      A,       A,       L]],
	["GET images member_status=rejected",         "public",    [L,     L,     L,      L,       L,       L]],
	["GET images member_status=rejected",         "community", [L,     A,     A,      A,       A,       A]],
	["GET images member_status=rejected",         "deleted",   [A,     A,     A,      A,       A,       A]],
	["GET images member_status=all visibility=all", "shared",  [L,     A,     L,      L,       L,       L]],
	["GET images member_status=all visibility=all", "private", [L,     A,     A,      A,       A,       L]],
	["GET images member_status=all visibility=all", "public",  [L,     L,     L,      L,       L,       L]],
	["GET images member_status=all visibility=all", "community", [L,   L,     L,      L,       L,       L]],
	["GET images member_status=all visibility=all", "deleted", [A,     A,     A,      A,       A,       A]],
	["GET images visibility=shared",              "shared",    [L,     A,     A,      L,       A,       L]],
	["GET images visibility=shared",              "private",   [A,     A,     A,      A,       A,       A]],
	["GET images visibility=shared",              "public",    [A,     A,     A,      A,       A,       A]],
	["GET images visibility=shared",              "community", [A,     A,     A,      A,       A,       A]],
	["GET images visibility=private",             "shared",    [A,     A,     A,      A,       A,       A]],
	["GET images visibility=private",             "private",   [L,     A,     A,      A,       A,       L]],
	["GET images visibility=private",             "public",    [A,     A,     A,      A,       A,       A]],
	["GET images visibility=community",           "shared",    [A,     A,     A,      A,       A,       A]],
	["GET images visibility=community",           "public",    [A,     A,     A,      A,       A,       A]],
	["GET images visibility=community",           "community", [L,     L,     L,      L,       L,       L]],
];

/** The image, its tags and its memberships as stored, so any change by a request shows. */
async function snapshot(f: Fixture): Promise<string> {
	const [image, tags, members, session, parts] = await env.DB.batch([
		env.DB.prepare(
			"SELECT status, deleted, visibility, min_ram, updated_at FROM images WHERE id = ?1",
		).bind(f.id),
		env.DB.prepare("SELECT value FROM image_tags WHERE image_id = ?1 ORDER BY value").bind(f.id),
		env.DB.prepare(
			"SELECT member, status, deleted, updated_at FROM image_members WHERE image_id = ?1 ORDER BY member",
		).bind(f.id),
		env.DB.prepare("SELECT state FROM upload_sessions WHERE image_id = ?1").bind(f.id),
		env.DB.prepare("SELECT part_number FROM upload_parts WHERE image_id = ?1").bind(f.id),
	]);
	return JSON.stringify([image, tags, members, session, parts].map((r) => r.results));
}

const shared: Partial<Record<Kind, Fixture>> = {};
beforeAll(async () => {
	for (const kind of KINDS) shared[kind] = await makeImage(kind);
});

describe.each(MATRIX)("%s on a %s image", (routeName, kind, row) => {
	const route: Route = ROUTES[routeName];
	const cells: Cell[] = [...row, X, X];
	it.each(CALLERS.map((who, i) => [who, cells[i]] as const))("as %s → %s", async (who, want) => {
		// A refusal before authentication changes nothing, whatever the fixture.
		const fresh = (route.mutates || route.prepare !== undefined) && want !== X;
		const fixture = fresh ? await makeImage(kind, route.holding) : (shared[kind] as Fixture);
		if (fresh) await route.prepare?.(fixture);
		const before = fresh ? await snapshot(fixture) : "";
		const res = await route.send(fixture, who);
		const read = res.status === 200 ? route.shown : undefined;
		const got = read ? await read(res, fixture, who) : res.status;
		if (!read) await res.arrayBuffer();
		expect(got, `${routeName} ${fixture.id} as ${who}`).toBe(want);
		if (res.status === 401) expect(res.headers.get("www-authenticate")).toBeTruthy();
		// A mutation changes the image or its memberships exactly when it answers 2xx.
		// A route that only reads changes nothing, whatever it answers.
		if (fresh) {
			expect((await snapshot(fixture)) !== before, "changed").toBe(res.ok && !!route.mutates);
		}
	});
});

/** Routes about no image in particular: any caller with a token, the same answer. */
const GLOBAL_ROUTES: [string, (who: Who) => Promise<Response>, number][] = [
	["GET /v2/images", (who) => call(who, "/v2/images"), 200],
	["POST /v2/images", (who) => call(who, "/v2/images", json("POST", { name: "any" })), 201],
	["GET /v2/schemas/image", (who) => call(who, "/v2/schemas/image"), 200],
	["GET /v2/schemas/images", (who) => call(who, "/v2/schemas/images"), 200],
	["GET /v2/schemas/member", (who) => call(who, "/v2/schemas/member"), 200],
	["GET /v2/schemas/members", (who) => call(who, "/v2/schemas/members"), 200],
	["GET /v2/info/import", (who) => call(who, "/v2/info/import"), 200],
	["GET /v2/info/usage", (who) => call(who, "/v2/info/usage"), 200],
	["GET /v2/info/stores", (who) => call(who, "/v2/info/stores"), 404],
	["GET /v2/projects/tenant-b", (who) => call(who, "/v2/projects/tenant-b"), 403],
	["GET /v2/projects?name=tenant-b", (who) => call(who, "/v2/projects?name=tenant-b"), 403],
];

describe.each(GLOBAL_ROUTES)("%s", (_name, send, status) => {
	it.each(CALLERS.map((who) => [who, who === "anonymous" || who === "bad" ? X : status] as const))(
		"as %s → %s",
		async (who, want) => {
			const res = await send(who);
			await expectStatus(res, want);
		},
	);
});
