// The glance-edge console: sign-in, image list, detail, upload. Plain DOM, no framework, so the
// whole console stays a few tens of KiB and renders the first page of images at once.

import {
	api,
	apiJson,
	getImage,
	headImage,
	humanDuration,
	humanSize,
	humanTime,
	session,
	whenSignedOut,
	wordsFor,
} from "./api.js";
import { forget, pendingFor, pendingUploads, sniffFormats, upload } from "./upload.js";

performance.mark("console:start");
const main = document.getElementById("main");
const announcer = document.getElementById("announcer");
let config = {
	sign_in: { token: true, password: false },
	disk_formats: ["raw", "qcow2"],
	container_formats: ["bare"],
	download_links: true,
};
/** Stops whatever the current page polls for when the page changes. */
let leavePage = () => {};

/** Builds an element: h("a", {href: "#"}, "text", child). `on*` attributes become listeners. */
function h(tag, attrs = {}, ...children) {
	const el = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs)) {
		if (value === undefined || value === null || value === false) continue;
		if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
		else if (name === "class") el.className = value;
		else if (name in el && typeof value !== "string") el[name] = value;
		else el.setAttribute(name, value === true ? "" : value);
	}
	el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
	return el;
}

function say(message) {
	announcer.textContent = "";
	requestAnimationFrame(() => {
		announcer.textContent = message;
	});
}

/** An error as a sentence, in a live region, never as raw JSON. */
const problem = (err) =>
	h("p", { class: "problem", role: "alert" }, err?.message ?? wordsFor(err?.status ?? 500));

const statusBadge = (status) => h("span", { class: `badge badge-${status}` }, status);

function page(title, ...content) {
	leavePage();
	leavePage = () => {};
	document.title = `${title} · glance-edge console`;
	const heading = h("h1", { tabindex: "-1" }, title);
	main.replaceChildren(heading, ...content);
	heading.focus({ preventScroll: true });
	return heading;
}

function renderHeader() {
	const who = session.who;
	const nav = document.getElementById("nav");
	if (!session.token) {
		nav.replaceChildren();
		return;
	}
	nav.replaceChildren(
		h("a", { href: "#/" }, "Images"),
		h("a", { href: "#/upload" }, "Upload"),
		h(
			"span",
			{ class: "who" },
			`${who?.user ?? "signed in"} · ${who?.tenant ?? "no project"}${who?.is_admin ? " · admin" : ""}`,
		),
		h("button", { type: "button", onclick: signOut }, "Sign out"),
	);
}

function signOut() {
	session.clear();
	renderHeader();
	location.hash = "#/";
	route();
	say("Signed out.");
}

// ---------------------------------------------------------------- sign-in

function signInPage(message) {
	const problemSlot = h("div");
	if (message) problemSlot.append(h("p", { class: "problem", role: "alert" }, message));
	const token = h("input", {
		id: "token",
		name: "token",
		type: "password",
		autocomplete: "off",
		required: true,
		spellcheck: "false",
	});
	const tokenForm = h(
		"form",
		{
			class: "card",
			"aria-labelledby": "token-heading",
			onsubmit: async (event) => {
				event.preventDefault();
				problemSlot.replaceChildren();
				const value = token.value.trim();
				try {
					const res = await api("/console/api/session", {
						anonymous: true,
						headers: { "X-Auth-Token": value },
					});
					const { session: who } = await res.json();
					session.save(value, who);
					token.value = "";
					signedIn();
				} catch (err) {
					problemSlot.replaceChildren(
						problem(err.status === 401 ? { message: "That token is not valid here." } : err),
					);
				}
			},
		},
		h("h2", { id: "token-heading" }, "With a token"),
		h("label", { for: "token" }, "Token"),
		token,
		h("p", { class: "hint" }, "Kept in this tab only, until you sign out or close it."),
		h("button", { type: "submit" }, "Sign in"),
	);
	const forms = [tokenForm];
	if (config.sign_in.password) {
		const field = (id, label, attrs = {}) => [
			h("label", { for: id }, label),
			h("input", { id, name: id, required: true, ...attrs }),
		];
		const form = h(
			"form",
			{
				class: "card",
				"aria-labelledby": "password-heading",
				onsubmit: async (event) => {
					event.preventDefault();
					problemSlot.replaceChildren();
					const data = new FormData(form);
					const json = {
						username: data.get("ks-user"),
						password: data.get("ks-password"),
						project: data.get("ks-project"),
					};
					const domain = String(data.get("ks-domain") ?? "").trim();
					if (domain) json.domain = domain;
					try {
						const { session: who } = await apiJson("/console/api/session", {
							method: "POST",
							json,
							anonymous: true,
						});
						form.reset();
						session.save(who.token, { ...who, token: undefined });
						signedIn();
					} catch (err) {
						form.elements["ks-password"].value = "";
						problemSlot.replaceChildren(problem(err));
					}
				},
			},
			h("h2", { id: "password-heading" }, "With Keystone"),
			...field("ks-user", "User name", { autocomplete: "username" }),
			...field("ks-password", "Password", { type: "password", autocomplete: "current-password" }),
			...field("ks-project", "Project", { autocomplete: "off" }),
			h("label", { for: "ks-domain" }, "Domain (optional)"),
			h("input", { id: "ks-domain", name: "ks-domain", placeholder: "Default" }),
			h("button", { type: "submit" }, "Sign in"),
		);
		forms.push(form);
	}
	page("Sign in", problemSlot, h("div", { class: "cards" }, ...forms));
}

function signedIn() {
	renderHeader();
	say(`Signed in as ${session.who?.user ?? "a token"}.`);
	route();
}

// ---------------------------------------------------------------- image list

const SORT_KEYS = [
	["created_at", "Created"],
	["updated_at", "Updated"],
	["name", "Name"],
	["status", "Status"],
	["size", "Size"],
	["disk_format", "Disk format"],
	["container_format", "Container format"],
	["id", "ID"],
];
const STATUSES = ["queued", "saving", "active", "killed", "deactivated"];
const listState = {
	name: "",
	status: "",
	disk_format: "",
	visibility: "",
	sort_key: "created_at",
	sort_dir: "desc",
	limit: 50,
	markers: [],
};

function select(id, label, options, value, onchange) {
	return [
		h("label", { for: id }, label),
		h(
			"select",
			{ id, name: id, onchange },
			options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
		),
	];
}

function listUrl() {
	const query = new URLSearchParams({
		limit: String(listState.limit),
		sort_key: listState.sort_key,
		sort_dir: listState.sort_dir,
	});
	if (listState.name) query.set("name", listState.name);
	if (listState.status) query.set("status", listState.status);
	if (listState.disk_format) query.set("disk_format", listState.disk_format);
	if (listState.visibility)
		query.set("is_public", listState.visibility === "public" ? "true" : "false");
	const marker = listState.markers.at(-1);
	if (marker) query.set("marker", marker);
	return `/v1/images/detail?${query}`;
}

/** The first page is asked for while the modules still load (see the end of this file). */
let early = null;
function listPage(url) {
	if (early?.url === url) {
		const { answer } = early;
		early = null;
		return answer;
	}
	return apiJson(url);
}

async function imagesPage() {
	const filters = h("form", {
		class: "filters",
		role: "search",
		onsubmit: (e) => e.preventDefault(),
	});
	const nameInput = h("input", { id: "f-name", type: "search", value: listState.name });
	let debounce;
	nameInput.addEventListener("input", () => {
		clearTimeout(debounce);
		debounce = setTimeout(() => {
			listState.name = nameInput.value.trim();
			listState.markers = [];
			load();
		}, 250);
	});
	const change = (field) => (event) => {
		listState[field] = event.target.value;
		listState.markers = [];
		load();
	};
	filters.append(
		h("div", {}, h("label", { for: "f-name" }, "Name"), nameInput),
		h(
			"div",
			{},
			...select(
				"f-status",
				"Status",
				[["", "Any"], ...STATUSES.map((s) => [s, s])],
				listState.status,
				change("status"),
			),
		),
		h(
			"div",
			{},
			...select(
				"f-format",
				"Disk format",
				[["", "Any"], ...config.disk_formats.map((f) => [f, f])],
				listState.disk_format,
				change("disk_format"),
			),
		),
		h(
			"div",
			{},
			...select(
				"f-visibility",
				"Visibility",
				[
					["", "Any"],
					["public", "Public"],
					["private", "Private"],
				],
				listState.visibility,
				change("visibility"),
			),
		),
		h("div", {}, ...select("f-sort", "Sort by", SORT_KEYS, listState.sort_key, change("sort_key"))),
		h(
			"div",
			{},
			...select(
				"f-dir",
				"Order",
				[
					["desc", "Descending"],
					["asc", "Ascending"],
				],
				listState.sort_dir,
				change("sort_dir"),
			),
		),
	);
	const body = h("tbody");
	const table = h(
		"table",
		{ class: "images" },
		h("caption", { class: "visually-hidden" }, "Images"),
		h(
			"thead",
			{},
			h(
				"tr",
				{},
				[
					"Name",
					"Status",
					"Size",
					"Disk",
					"Container",
					"Visibility",
					"Owner",
					"Created",
					"Updated",
				].map((c) => h("th", { scope: "col" }, c)),
			),
		),
		body,
	);
	const status = h("p", { class: "list-status", "aria-live": "polite" });
	const prev = h("button", { type: "button", disabled: true }, "Previous page");
	const next = h("button", { type: "button", disabled: true }, "Next page");
	const slot = h("div");
	let current = [];
	let poll;
	leavePage = () => clearTimeout(poll);

	prev.addEventListener("click", () => {
		listState.markers.pop();
		load();
	});
	next.addEventListener("click", () => {
		listState.markers.push(current.at(-1).id);
		load();
	});

	function row(image) {
		return h(
			"tr",
			{ "data-id": image.id },
			h("td", {}, h("a", { href: `#/images/${image.id}` }, image.name || "(no name)")),
			h("td", {}, statusBadge(image.status)),
			h("td", { class: "num" }, humanSize(image.size)),
			h("td", {}, image.disk_format ?? "—"),
			h("td", {}, image.container_format ?? "—"),
			h("td", {}, image.is_public ? "public" : "private"),
			h("td", {}, image.owner ?? "—"),
			h("td", {}, h("time", { datetime: image.created_at }, humanTime(image.created_at))),
			h("td", {}, h("time", { datetime: image.updated_at }, humanTime(image.updated_at))),
		);
	}

	/** Saving images settle into active or killed: refresh just those rows until they do. */
	function watchSaving() {
		clearTimeout(poll);
		if (!current.some((i) => i.status === "saving")) return;
		poll = setTimeout(async () => {
			for (const image of current.filter((i) => i.status === "saving")) {
				try {
					const fresh = await getImage(image.id);
					Object.assign(image, fresh);
					body.querySelector(`tr[data-id="${image.id}"]`)?.replaceWith(row(image));
				} catch {
					// A row that cannot be refreshed keeps its last state; the next round tries again.
				}
			}
			watchSaving();
		}, 2000);
	}

	async function load() {
		status.textContent = "Loading…";
		try {
			const { images } = await listPage(listUrl());
			// Glance ignores is_public from non-admins (they always see their own and public ones).
			current = listState.visibility
				? images.filter((i) => i.is_public === (listState.visibility === "public"))
				: images;
			const rows = document.createDocumentFragment();
			for (const image of current) rows.append(row(image));
			body.replaceChildren(rows);
			slot.replaceChildren();
			const pageNo = listState.markers.length + 1;
			status.textContent =
				current.length === 0
					? pageNo > 1
						? "No more images."
						: "No images match."
					: `Page ${pageNo}: ${current.length} image${current.length === 1 ? "" : "s"}.`;
			prev.disabled = listState.markers.length === 0;
			next.disabled = images.length < listState.limit;
			performance.mark("console:images-rendered");
			watchSaving();
		} catch (err) {
			status.textContent = "";
			slot.replaceChildren(problem(err));
		}
	}

	page(
		"Images",
		filters,
		slot,
		status,
		h("div", { class: "table-wrap" }, table),
		h("nav", { class: "pager", "aria-label": "Pages" }, prev, next),
	);
	await load();
}

// ---------------------------------------------------------------- image detail

const FIELDS = [
	["id", "ID"],
	["name", "Name"],
	["status", "Status"],
	["status_reason", "Status reason"],
	["size", "Size"],
	["virtual_size", "Virtual size"],
	["disk_format", "Disk format"],
	["container_format", "Container format"],
	["checksum", "MD5"],
	["os_hash_algo", "Hash algorithm"],
	["os_hash_value", "SHA-512"],
	["min_disk", "Minimum disk (GB)"],
	["min_ram", "Minimum RAM (MB)"],
	["is_public", "Public"],
	["protected", "Protected"],
	["owner", "Owner"],
	["created_at", "Created"],
	["updated_at", "Updated"],
	["deleted", "Deleted"],
	["deleted_at", "Deleted at"],
];

function fieldValue(key, value) {
	if (value === null || value === undefined || value === "") return "—";
	if (key === "size" || key === "virtual_size")
		return `${humanSize(value)} (${Number(value).toLocaleString()} bytes)`;
	if (typeof value === "boolean") return value ? "yes" : "no";
	if (key.endsWith("_at")) return humanTime(value);
	return String(value);
}

/** The inspection verdict as a sentence. */
function verdictText(image, inspection) {
	const found = inspection?.detected_format;
	switch (image.status) {
		case "queued":
			return "No data has been uploaded yet.";
		case "saving":
			return "The data is being received or verified; this page updates when it is done.";
		case "killed":
			return `The data was refused${image.status_reason ? `: ${image.status_reason}` : "."}`;
		case "active":
		case "deactivated":
			if (!found) return "The data was accepted; its format was not recorded.";
			return found === image.disk_format
				? `The data was checked: it is a ${found} image, as declared.`
				: `The data was checked: it was found to be ${found}, declared as ${image.disk_format}.`;
		default:
			return `The image is ${image.status}.`;
	}
}

async function detailPage(id) {
	page("Image");
	let image;
	let inspection = null;
	try {
		[image, { inspection }] = await Promise.all([
			getImage(id),
			apiJson(`/console/api/images/${encodeURIComponent(id)}/inspection`).catch(() => ({
				inspection: null,
			})),
		]);
	} catch (err) {
		page("Image", problem(err), h("p", {}, h("a", { href: "#/" }, "Back to the images")));
		return;
	}
	const who = session.who ?? {};
	const mayEdit = who.is_admin || (who.tenant && who.tenant === image.owner);
	const actionSlot = h("div");

	const fields = h(
		"dl",
		{ class: "fields" },
		FIELDS.flatMap(([key, label]) => [
			h("dt", {}, label),
			h(
				"dd",
				{ class: key === "os_hash_value" || key === "checksum" || key === "id" ? "mono" : "" },
				key === "status" ? statusBadge(image.status) : fieldValue(key, image[key]),
			),
		]),
	);
	const props = Object.entries(image.properties ?? {});
	const propertyList =
		props.length === 0
			? h("p", {}, "No properties.")
			: h(
					"table",
					{ class: "props" },
					h("caption", { class: "visually-hidden" }, "Properties"),
					h(
						"thead",
						{},
						h("tr", {}, h("th", { scope: "col" }, "Property"), h("th", { scope: "col" }, "Value")),
					),
					h(
						"tbody",
						{},
						props.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))),
					),
				);

	const actions = h("div", { class: "actions" });
	if (image.status === "active") {
		actions.append(
			h(
				"button",
				{
					type: "button",
					onclick: async () => {
						actionSlot.replaceChildren();
						try {
							const { link } = await apiJson(`/v1/images/${image.id}/download-link`, {
								method: "POST",
							});
							// A link the browser saves as it streams: the image never sits in this page's memory.
							const a = h("a", { href: link.url, download: image.name || image.id, hidden: true });
							document.body.append(a);
							a.click();
							a.remove();
							say("Download started.");
						} catch (err) {
							actionSlot.replaceChildren(problem(err));
						}
					},
				},
				"Download",
			),
		);
	}
	actions.append(
		h(
			"button",
			{ type: "button", class: "danger", onclick: () => confirmDelete(image, actionSlot) },
			"Delete…",
		),
	);

	page(
		image.name || "(no name)",
		actions,
		actionSlot,
		h(
			"section",
			{ "aria-labelledby": "verdict-h" },
			h("h2", { id: "verdict-h" }, "Content inspection"),
			h("p", { class: `verdict verdict-${image.status}` }, verdictText(image, inspection)),
			inspection?.detected_format
				? h("p", {}, `Detected format: ${inspection.detected_format}.`)
				: null,
		),
		h("section", { "aria-labelledby": "fields-h" }, h("h2", { id: "fields-h" }, "Fields"), fields),
		h(
			"section",
			{ "aria-labelledby": "props-h" },
			h("h2", { id: "props-h" }, "Properties"),
			propertyList,
		),
		mayEdit
			? editForm(image)
			: h("p", { class: "hint" }, "Only the owner or an administrator can edit this image."),
		await membersSection(image),
	);
	if (image.status === "saving") {
		const timer = setTimeout(async () => {
			const state = await headImage(image.id).catch(() => null);
			if (state && state.status !== "saving") detailPage(id);
			else if (location.hash === `#/images/${id}`) detailPage(id);
		}, 2000);
		leavePage = () => clearTimeout(timer);
	}
}

function editForm(image) {
	const slot = h("div");
	const propertyRows = h("tbody");
	const addProperty = (key = "", value = "") => {
		const n = propertyRows.children.length;
		const tr = h(
			"tr",
			{},
			h(
				"td",
				{},
				h("label", { class: "visually-hidden", for: `pk-${n}` }, "Property name"),
				h("input", { id: `pk-${n}`, class: "pk", value: key }),
			),
			h(
				"td",
				{},
				h("label", { class: "visually-hidden", for: `pv-${n}` }, "Property value"),
				h("input", { id: `pv-${n}`, class: "pv", value }),
			),
			h(
				"td",
				{},
				h(
					"button",
					{
						type: "button",
						"aria-label": `Remove property ${key || n + 1}`,
						onclick: () => tr.remove(),
					},
					"Remove",
				),
			),
		);
		propertyRows.append(tr);
		return tr;
	};
	for (const [k, v] of Object.entries(image.properties ?? {})) addProperty(k, v);
	const form = h(
		"form",
		{
			class: "card edit",
			"aria-labelledby": "edit-h",
			onsubmit: async (event) => {
				event.preventDefault();
				slot.replaceChildren();
				const data = new FormData(form);
				const properties = {};
				for (const tr of propertyRows.children) {
					const key = tr.querySelector(".pk").value.trim();
					if (key) properties[key] = tr.querySelector(".pv").value;
				}
				const changes = {
					name: data.get("e-name"),
					min_disk: Number(data.get("e-min_disk") || 0),
					min_ram: Number(data.get("e-min_ram") || 0),
					protected: data.get("e-protected") === "on",
					is_public: data.get("e-public") === "on",
					properties,
				};
				try {
					await apiJson(`/v1/images/${image.id}`, {
						method: "PUT",
						json: { image: changes },
						// The properties listed here are all of them: any other is removed.
						headers: { "x-glance-registry-purge-props": "true" },
					});
					say("Saved.");
					detailPage(image.id);
				} catch (err) {
					slot.replaceChildren(problem(err));
				}
			},
		},
		h("h2", { id: "edit-h" }, "Edit"),
		h("label", { for: "e-name" }, "Name"),
		h("input", { id: "e-name", name: "e-name", value: image.name ?? "" }),
		h(
			"div",
			{ class: "row" },
			h(
				"div",
				{},
				h("label", { for: "e-min_disk" }, "Minimum disk (GB)"),
				h("input", {
					id: "e-min_disk",
					name: "e-min_disk",
					type: "number",
					min: "0",
					value: String(image.min_disk ?? 0),
				}),
			),
			h(
				"div",
				{},
				h("label", { for: "e-min_ram" }, "Minimum RAM (MB)"),
				h("input", {
					id: "e-min_ram",
					name: "e-min_ram",
					type: "number",
					min: "0",
					value: String(image.min_ram ?? 0),
				}),
			),
		),
		h(
			"div",
			{ class: "checks" },
			h("input", {
				id: "e-protected",
				name: "e-protected",
				type: "checkbox",
				checked: image.protected,
			}),
			h("label", { for: "e-protected" }, "Protected (cannot be deleted)"),
			h("input", { id: "e-public", name: "e-public", type: "checkbox", checked: image.is_public }),
			h("label", { for: "e-public" }, "Public (every project sees it)"),
		),
		h("table", { class: "props-edit" }, h("caption", {}, "Properties"), propertyRows),
		h(
			"button",
			{ type: "button", onclick: () => addProperty().querySelector("input").focus() },
			"Add property",
		),
		slot,
		h("button", { type: "submit" }, "Save changes"),
	);
	return form;
}

async function membersSection(image) {
	const slot = h("div");
	const list = h("tbody");
	const section = h(
		"section",
		{ "aria-labelledby": "members-h" },
		h("h2", { id: "members-h" }, "Members"),
	);
	async function refresh() {
		try {
			const { members } = await apiJson(`/v1/images/${image.id}/members`);
			list.replaceChildren(
				...members.map((m) =>
					h(
						"tr",
						{},
						h("td", {}, m.member_id),
						h(
							"td",
							{},
							h("input", {
								type: "checkbox",
								checked: m.can_share,
								"aria-label": `${m.member_id} can share`,
								onchange: (e) => setMember(m.member_id, e.target.checked),
							}),
						),
						h(
							"td",
							{},
							h(
								"button",
								{ type: "button", onclick: () => removeMember(m.member_id) },
								`Remove ${m.member_id}`,
							),
						),
					),
				),
			);
			if (members.length === 0)
				list.append(h("tr", {}, h("td", { colspan: "3" }, "Not shared with any project.")));
		} catch (err) {
			slot.replaceChildren(problem(err));
		}
	}
	async function setMember(member, canShare) {
		slot.replaceChildren();
		try {
			await api(`/v1/images/${image.id}/members/${encodeURIComponent(member)}`, {
				method: "PUT",
				json: { member: { can_share: canShare } },
			});
			say(`Shared with ${member}.`);
		} catch (err) {
			slot.replaceChildren(problem(err));
		}
		await refresh();
	}
	async function removeMember(member) {
		slot.replaceChildren();
		try {
			await api(`/v1/images/${image.id}/members/${encodeURIComponent(member)}`, {
				method: "DELETE",
			});
			say(`No longer shared with ${member}.`);
		} catch (err) {
			slot.replaceChildren(problem(err));
		}
		await refresh();
	}
	const memberInput = h("input", { id: "m-id", name: "m-id", required: true, autocomplete: "off" });
	const canShare = h("input", { id: "m-share", type: "checkbox" });
	section.append(
		h(
			"table",
			{ class: "members" },
			h("caption", { class: "visually-hidden" }, "Members"),
			h(
				"thead",
				{},
				h(
					"tr",
					{},
					h("th", { scope: "col" }, "Project"),
					h("th", { scope: "col" }, "Can share"),
					h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
				),
			),
			list,
		),
		h(
			"form",
			{
				class: "inline",
				onsubmit: async (e) => {
					e.preventDefault();
					const member = memberInput.value.trim();
					if (!member) return;
					await setMember(member, canShare.checked);
					memberInput.value = "";
					canShare.checked = false;
				},
			},
			h("label", { for: "m-id" }, "Project to share with"),
			memberInput,
			canShare,
			h("label", { for: "m-share" }, "Can share further"),
			h("button", { type: "submit" }, "Add member"),
		),
		slot,
	);
	await refresh();
	return section;
}

function confirmDelete(image, slot) {
	const dialog = h(
		"dialog",
		{ "aria-labelledby": "del-h", class: "confirm" },
		h(
			"form",
			{ method: "dialog" },
			h("h2", { id: "del-h" }, "Delete this image?"),
			h(
				"p",
				{},
				`“${image.name || image.id}” and its data will be deleted. This cannot be undone.`,
			),
			h(
				"div",
				{ class: "actions" },
				h("button", { value: "cancel", autofocus: true }, "Cancel"),
				h("button", { value: "delete", class: "danger" }, "Delete"),
			),
		),
	);
	dialog.addEventListener("close", async () => {
		dialog.remove();
		if (dialog.returnValue !== "delete") return;
		try {
			await api(`/v1/images/${image.id}`, { method: "DELETE" });
			say("Image deleted.");
			location.hash = "#/";
		} catch (err) {
			slot.replaceChildren(problem(err));
		}
	});
	document.body.append(dialog);
	dialog.showModal();
}

// ---------------------------------------------------------------- upload

async function uploadPage() {
	const slot = h("div");
	const fileInput = h("input", { id: "u-file", name: "u-file", type: "file" });
	const nameInput = h("input", { id: "u-name", name: "u-name", required: true });
	const formatOptions = (list, chosen) =>
		list.map((f) => h("option", { value: f, selected: f === chosen }, f));
	const disk = h(
		"select",
		{ id: "u-disk", name: "u-disk" },
		formatOptions(config.disk_formats, "raw"),
	);
	const container = h(
		"select",
		{ id: "u-container", name: "u-container" },
		formatOptions(config.container_formats, "bare"),
	);
	const isPublic = h("input", { id: "u-public", type: "checkbox" });
	const sniffed = h("p", { class: "hint", "aria-live": "polite" });
	const start = h("button", { type: "submit", disabled: true }, "Upload…");
	const bar = h("progress", { id: "u-progress", max: "1", value: "0" });
	const progressText = h("p", { id: "u-progress-text", class: "progress-text" });
	const phase = h("p", { id: "u-phase", "aria-live": "polite" });
	const progress = h(
		"div",
		{ class: "card progress", hidden: true },
		h("label", { for: "u-progress" }, "Progress"),
		bar,
		progressText,
		phase,
	);
	const pendingList = h("div");
	let file = null;
	let controller = null;
	leavePage = () => controller?.abort();

	async function choose(picked) {
		file = picked;
		slot.replaceChildren();
		if (!file) return;
		const record = await pendingFor(file).catch(() => null);
		const guess = await sniffFormats(file);
		nameInput.value = record?.imageName ?? file.name;
		disk.value = record?.disk ?? guess.disk;
		container.value = record?.container ?? guess.container;
		sniffed.textContent = record
			? `This file was being uploaded as image ${record.imageId}: “Upload…” resumes it.`
			: guess.found
				? `This looks like ${guess.found}: formats ${guess.disk} / ${guess.container} suggested.`
				: "The format could not be recognised from the first bytes: raw suggested.";
		start.disabled = false;
	}

	fileInput.addEventListener("change", () => choose(fileInput.files?.[0] ?? null));
	const drop = h(
		"div",
		{ class: "drop" },
		h("label", { for: "u-file" }, "Image file"),
		fileInput,
		h("p", { class: "hint" }, "…or drop a file here."),
	);
	drop.addEventListener("dragover", (e) => {
		e.preventDefault();
		drop.classList.add("over");
	});
	drop.addEventListener("dragleave", () => drop.classList.remove("over"));
	drop.addEventListener("drop", (e) => {
		e.preventDefault();
		drop.classList.remove("over");
		const dropped = e.dataTransfer?.files?.[0];
		if (dropped) choose(dropped);
	});

	const form = h(
		"form",
		{
			class: "card",
			onsubmit: async (event) => {
				event.preventDefault();
				if (!file) return;
				slot.replaceChildren();
				start.disabled = true;
				progress.hidden = false;
				controller = new AbortController();
				const events = (e) => {
					switch (e.phase) {
						case "hashing":
							bar.value = e.total ? e.bytes / e.total : 1;
							progressText.textContent = `Computing MD5 and SHA-512: ${humanSize(e.bytes)} of ${humanSize(e.total)}`;
							phase.textContent = "Hashing the file…";
							break;
						case "registering":
							phase.textContent = "Registering the image…";
							break;
						case "sending":
							bar.value = e.total ? e.bytes / e.total : 1;
							progressText.textContent = `${humanSize(e.bytes)} of ${humanSize(e.total)} · ${
								e.rate > 0 ? `${humanSize(e.rate)}/s` : "measuring the rate…"
							}${e.bytes >= e.total ? "" : e.rate > 0 ? ` · about ${humanDuration(e.eta)} left` : ""}`;
							phase.textContent = `Sending parts: ${e.parts} of ${e.partCount} stored${e.resumedParts ? ` (resumed: ${e.resumedParts} were already on the server)` : ""}.`;
							phase.dataset.parts = String(e.parts);
							phase.dataset.resumed = String(e.resumedParts);
							break;
						case "paused":
							phase.textContent = e.message;
							break;
						case "completing":
							phase.textContent = "All parts sent; assembling…";
							break;
						case "verifying":
							bar.value = 1;
							phase.textContent = "Verifying checksums and content…";
							break;
						case "done": {
							const ok = e.status === "active";
							phase.textContent = ok
								? "Done: the image is active."
								: `The image was refused (${e.status}).`;
							slot.replaceChildren(
								h(
									"div",
									{ class: `verdict verdict-${e.status}`, role: "status" },
									h(
										"p",
										{},
										verdictText(
											{ status: e.status, status_reason: e.status_reason, disk_format: disk.value },
											e.inspection,
										),
									),
									h("p", {}, h("a", { href: `#/images/${e.imageId}` }, "Open the image")),
								),
							);
							break;
						}
					}
				};
				try {
					await upload(
						{
							file,
							name: nameInput.value.trim(),
							disk: disk.value,
							container: container.value,
							isPublic: isPublic.checked,
						},
						events,
						controller.signal,
					);
				} catch (err) {
					if (err?.name !== "AbortError") slot.replaceChildren(problem(err));
				} finally {
					start.disabled = false;
					listPending();
				}
			},
		},
		drop,
		sniffed,
		h("label", { for: "u-name" }, "Name"),
		nameInput,
		h(
			"div",
			{ class: "row" },
			h("div", {}, h("label", { for: "u-disk" }, "Disk format"), disk),
			h("div", {}, h("label", { for: "u-container" }, "Container format"), container),
		),
		h("div", { class: "checks" }, isPublic, h("label", { for: "u-public" }, "Public")),
		start,
	);

	async function listPending() {
		const records = await pendingUploads().catch(() => []);
		if (records.length === 0) {
			pendingList.replaceChildren();
			return;
		}
		pendingList.replaceChildren(
			h("h2", {}, "Unfinished uploads"),
			h("p", { class: "hint" }, "Pick the same file again to resume where it stopped."),
			h(
				"ul",
				{ class: "pending" },
				records.map((r) =>
					h(
						"li",
						{},
						`${r.fileName} (${humanSize(r.size)}) as image ${r.imageId}, started ${humanTime(r.startedAt)} `,
						h(
							"button",
							{
								type: "button",
								onclick: async () => {
									await api(`/v1/images/${r.imageId}`, { method: "DELETE" }).catch(() => {});
									await forget(r.key);
									listPending();
								},
							},
							`Discard ${r.fileName}`,
						),
					),
				),
			),
		);
	}

	page("Upload an image", pendingList, form, progress, slot);
	await listPending();
}

// ---------------------------------------------------------------- routing

async function route() {
	renderHeader();
	if (!session.token) return signInPage();
	const hash = location.hash || "#/";
	const detail = hash.match(/^#\/images\/([^/]+)$/);
	if (detail) return detailPage(decodeURIComponent(detail[1]));
	if (hash === "#/upload") return uploadPage();
	return imagesPage();
}

whenSignedOut((message) => {
	renderHeader();
	signInPage(message);
});
addEventListener("hashchange", route);

// The first page of images and the config are fetched side by side: the list does not wait for
// the config, which only fills the format lists and adds the Keystone form.
if (session.token && (location.hash === "" || location.hash === "#/")) {
	const url = listUrl();
	const started = window.consoleFirstPage;
	// A failed early answer is asked again through apiJson, which turns it into words (or signs out).
	const answer =
		started?.url === url
			? started.response.then(
					(res) => (res.ok ? res.json() : apiJson(url)),
					() => apiJson(url),
				)
			: apiJson(url);
	early = { url, answer };
	early.answer.catch(() => {});
}
const configured = fetch("/console/api/config", { cache: "no-store" })
	.then((res) => (res.ok ? res.json() : null))
	.then((c) => {
		if (c) config = c;
	})
	.catch(() => {});
if (early) {
	route();
	// The list was drawn with the default formats: now offer the server's.
	configured.then(() => {
		const formats = document.getElementById("f-format");
		if (!formats) return;
		const chosen = formats.value;
		formats.replaceChildren(
			h("option", { value: "" }, "Any"),
			...config.disk_formats.map((f) => h("option", { value: f, selected: f === chosen }, f)),
		);
	});
} else {
	configured.then(route);
}
