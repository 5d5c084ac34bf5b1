// @ts-check
// The metadata commands: list, show, set, delete, share, unshare, abort. Each is one or a few
// v1 calls; what they print is meant for pipelines (ids, tab-separated columns, or --json).

import { refused } from "./errors.mjs";
import { drain } from "./http.mjs";

/** @typedef {import("./http.mjs").Context} Context */
/** @typedef {import("./ui.mjs").TextStream} TextStream */

const imagePath = (/** @type {string} */ id) => `/v1/images/${encodeURIComponent(id)}`;

/**
 * @typedef {object} ListOptions
 * @property {Record<string, string>} filters query parameters: name, status, disk_format, …
 * @property {number | undefined} limit at most this many images; all of them otherwise
 * @property {boolean} json
 */

const PAGE = 100;

/**
 * GET /v1/images/detail, following `marker` page by page.
 * @param {ListOptions} opts
 * @param {Context} ctx
 * @param {TextStream} stdout
 */
export async function list(opts, { client }, stdout) {
	/** @type {Record<string, unknown>[]} */
	const images = [];
	let marker;
	for (;;) {
		const want = opts.limit === undefined ? PAGE : Math.min(PAGE, opts.limit - images.length);
		const query = new URLSearchParams({ ...opts.filters, limit: String(want) });
		if (marker) query.set("marker", marker);
		const what = "listing images";
		const res = await client.call("GET", `/v1/images/detail?${query}`, { what });
		if (!res.ok) throw await client.failure(what, res);
		const page = /** @type {{images?: Record<string, unknown>[]}} */ (await res.json());
		const got = page.images ?? [];
		images.push(...got);
		if (got.length < want || (opts.limit !== undefined && images.length >= opts.limit)) break;
		marker = String(got[got.length - 1].id);
	}
	if (opts.json) {
		stdout.write(`${JSON.stringify(images, null, 2)}\n`);
		return;
	}
	for (const image of images) {
		const cells = [image.id, image.name, image.status, image.disk_format, image.size];
		stdout.write(
			`${cells.map((c) => (c === null || c === undefined ? "-" : String(c))).join("\t")}\n`,
		);
	}
}

/**
 * HEAD /v1/images/{id}.
 * @param {{id: string, json: boolean}} opts
 * @param {Context} ctx
 * @param {TextStream} stdout
 */
export async function show(opts, { client }, stdout) {
	const image = await client.headImage(opts.id);
	if (!image) throw refused(`image ${opts.id} not found`);
	if (opts.json) {
		stdout.write(`${JSON.stringify(image, null, 2)}\n`);
		return;
	}
	const { properties, ...fields } = image;
	for (const [key, value] of Object.entries(fields)) stdout.write(`${key}\t${value}\n`);
	for (const [key, value] of Object.entries(properties))
		stdout.write(`property:${key}\t${value}\n`);
}

/**
 * @typedef {object} SetOptions
 * @property {string} id
 * @property {Record<string, unknown>} fields name, min_disk, min_ram, is_public, protected
 * @property {Record<string, string>} properties merged into the image's
 * @property {string[]} removeProperties
 * @property {boolean} json
 */

/**
 * PUT /v1/images/{id} with a JSON body. Properties are merged; removing one needs the whole
 * remaining set sent with purge, so the image is read first.
 * @param {SetOptions} opts
 * @param {Context} ctx
 * @param {TextStream} stdout
 */
export async function set(opts, { client, ui }, stdout) {
	/** @type {Record<string, unknown>} */
	const body = { ...opts.fields };
	/** @type {Record<string, string>} */
	const headers = {};
	if (opts.removeProperties.length > 0) {
		const current = await client.headImage(opts.id);
		if (!current) throw refused(`image ${opts.id} not found`);
		const properties = { ...current.properties, ...opts.properties };
		for (const key of opts.removeProperties) delete properties[key];
		body.properties = properties;
		headers["x-glance-registry-purge-props"] = "true";
	} else if (Object.keys(opts.properties).length > 0) {
		body.properties = opts.properties;
	}
	const what = `updating image ${opts.id}`;
	const res = await client.call("PUT", imagePath(opts.id), { what, json: body, headers });
	if (!res.ok) throw await client.failure(what, res);
	const answer = /** @type {{image?: Record<string, unknown>}} */ (await res.json());
	if (opts.json) stdout.write(`${JSON.stringify(answer.image ?? answer, null, 2)}\n`);
	else ui.note(`image ${opts.id} updated`);
}

/**
 * DELETE /v1/images/{id}, for each id; every one is tried, and any refusal fails the command.
 * @param {{ids: string[]}} opts
 * @param {Context} ctx
 */
export async function remove(opts, { client, ui }) {
	/** @type {import("./errors.mjs").CliError | null} */
	let failed = null;
	for (const id of opts.ids) {
		const what = `deleting image ${id}`;
		const res = await client.call("DELETE", imagePath(id), { what });
		if (res.ok) {
			await drain(res);
			ui.note(`image ${id} deleted`);
			continue;
		}
		// Each failure is printed once: the last by main, as the exit's reason.
		if (failed) ui.error(failed.message);
		failed = await client.failure(what, res);
	}
	if (failed) throw failed;
}

/**
 * PUT or DELETE /v1/images/{id}/members/{tenant}.
 * @param {{id: string, tenant: string, canShare?: boolean, unshare?: boolean}} opts
 * @param {Context} ctx
 */
export async function share(opts, { client, ui }) {
	const path = `${imagePath(opts.id)}/members/${encodeURIComponent(opts.tenant)}`;
	const what = `${opts.unshare ? "unsharing" : "sharing"} image ${opts.id} ${opts.unshare ? "from" : "with"} ${opts.tenant}`;
	const res = opts.unshare
		? await client.call("DELETE", path, { what })
		: await client.call("PUT", path, {
				what,
				json: { member: { can_share: Boolean(opts.canShare) } },
			});
	if (!res.ok) throw await client.failure(what, res);
	await drain(res);
	ui.note(
		opts.unshare
			? `image ${opts.id} is no longer shared with ${opts.tenant}`
			: `image ${opts.id} is shared with ${opts.tenant}${opts.canShare ? " (who may share it further)" : ""}`,
	);
}

/**
 * @param {{id: string}} opts
 * @param {Context} ctx
 */
export async function abort(opts, { client, ui }) {
	const what = `discarding the upload session of image ${opts.id}`;
	const res = await client.call("DELETE", `${imagePath(opts.id)}/upload-session`, { what });
	if (res.status === 404) {
		await drain(res);
		throw refused(`image ${opts.id} has no open upload session`);
	}
	if (!res.ok) throw await client.failure(what, res);
	await drain(res);
	ui.note(`upload session of image ${opts.id} discarded`);
}
