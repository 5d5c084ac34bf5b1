import { type ApiInit, api, type Caller, jsonInit } from "./http";

/** An image as the v2 API shows it. */
export interface V2Image {
	id: string;
	name: string | null;
	status: string;
	visibility: string;
	protected: boolean;
	os_hidden: boolean;
	size: number | null;
	checksum: string | null;
	owner: string | null;
	tags: string[];
	[key: string]: unknown;
}

export const PATCH_V21 = "application/openstack-images-v2.1-json-patch";
export const PATCH_V20 = "application/openstack-images-v2.0-json-patch";

/** POST /v2/images (expects 201). */
export async function createV2(
	fields: Record<string, unknown> = {},
	as: Caller = "owner",
): Promise<V2Image> {
	const res = await api("/v2/images", jsonInit(fields, { as }));
	expect(res.status, await res.clone().text()).toBe(201);
	return (await res.json()) as V2Image;
}

/** PATCH /v2/images/{id} with a v2.1 JSON patch. */
export function patchV2(id: string, ops: unknown, init: ApiInit = {}): Promise<Response> {
	return api(`/v2/images/${id}`, {
		method: "PATCH",
		...init,
		headers: { "content-type": PATCH_V21, ...init.headers },
		body: typeof ops === "string" ? ops : JSON.stringify(ops),
	});
}

/** PUT /v2/images/{id}/file (expects nothing; returns the response). */
export function uploadV2(
	id: string,
	data: Uint8Array | ReadableStream<Uint8Array>,
	init: ApiInit = {},
): Promise<Response> {
	return api(`/v2/images/${id}/file`, {
		method: "PUT",
		...init,
		headers: { "content-type": "application/octet-stream", ...init.headers },
		body: data,
		...(data instanceof ReadableStream ? { duplex: "half" } : {}),
	} as ApiInit);
}

export async function showV2(id: string, as: Caller = "owner"): Promise<V2Image> {
	const res = await api(`/v2/images/${id}`, { as });
	expect(res.status).toBe(200);
	return (await res.json()) as V2Image;
}

export interface V2List {
	images: V2Image[];
	first: string;
	next?: string;
	schema: string;
}

export async function listV2(query = "", as: Caller = "owner"): Promise<V2List> {
	const res = await api(`/v2/images${query}`, { as });
	expect(res.status, await res.clone().text()).toBe(200);
	return (await res.json()) as V2List;
}

/** A v2 membership as the API shows it. */
export interface V2Member {
	member_id: string;
	image_id: string;
	status: string;
	created_at: string;
	updated_at: string;
	schema: string;
}

/** POST /v2/images/{id}/members as `as` (default owner); returns the response. */
export function addMemberV2(id: string, member: unknown, as: Caller = "owner"): Promise<Response> {
	return api(`/v2/images/${id}/members`, jsonInit({ member }, { as }));
}

/** PUT /v2/images/{id}/members/{member} with a status, as `as`. */
export function setMemberStatusV2(
	id: string,
	member: string,
	status: unknown,
	as: Caller,
): Promise<Response> {
	return api(`/v2/images/${id}/members/${member}`, jsonInit({ status }, { method: "PUT", as }));
}

/** Shares `id` with `member` as the owner and, if given, answers as the member (expects 200s). */
export async function shareV2(
	id: string,
	member: string,
	answer?: { status: string; as: Caller },
): Promise<V2Member> {
	const added = await addMemberV2(id, member);
	expect(added.status, await added.clone().text()).toBe(200);
	if (!answer) return (await added.json()) as V2Member;
	const set = await setMemberStatusV2(id, member, answer.status, answer.as);
	expect(set.status, await set.clone().text()).toBe(200);
	return (await set.json()) as V2Member;
}
