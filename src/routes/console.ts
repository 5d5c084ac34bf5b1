import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { MAX_JSON_BODY_BYTES } from "../domain/glance-rules";
import { methodNotAllowed } from "../http/errors";
import { readJsonBody } from "../http/json-body";
import { parseOrThrow } from "../http/validate";
import { requireToken } from "../middleware/auth";
import { PasswordSignInSchema } from "../schemas/console-session";
import { describeIdentity, signInWithPassword } from "../services/console-session";
import { openLinkedDownload } from "../services/download-link";
import { inspectionOf } from "../services/image-inspection";
import {
	createConsoleSessionDoc,
	downloadByLinkDoc,
	getConsoleConfigDoc,
	getConsoleSessionDoc,
	getImageInspectionDoc,
} from "./console-docs";

/** A file name safe in a quoted Content-Disposition value (RFC 6266), plus its UTF-8 form. */
function attachment(name: string | null, id: string): string {
	const wanted = (name ?? "").trim() || id;
	const ascii = wanted.replace(/[^\x20-\x7e]|["\\/]/g, "_");
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(wanted)}`;
}

/**
 * What the browser console (public/console/, served as static assets) needs beyond the v1 API:
 * which sign-ins the server offers, a Keystone password sign-in, who a token belongs to, what
 * content inspection found in an image, and the target of signed download links.
 */
export function consoleRoutes() {
	const app = new Hono<AppEnv>();

	app.get("/console/api/config", getConsoleConfigDoc, (c) => {
		const { config } = c.var;
		return c.json({
			sign_in: { token: true, password: config.keystoneUrl !== null },
			disk_formats: [...config.diskFormats],
			container_formats: [...config.containerFormats],
			download_links: config.downloadLinkSecret !== null,
		});
	});

	app.get("/console/api/session", getConsoleSessionDoc, requireToken(), (c) =>
		c.json({ session: describeIdentity(c.var.identity) }),
	);
	app.post("/console/api/session", createConsoleSessionDoc, async (c) => {
		const credentials = parseOrThrow(
			PasswordSignInSchema,
			await readJsonBody(c.req.raw, MAX_JSON_BODY_BYTES),
		);
		const session = await signInWithPassword(
			{ config: c.var.config, fetcher: c.var.keystone },
			credentials,
		);
		// A token is a credential: no cache may keep this answer.
		c.header("Cache-Control", "no-store");
		return c.json({ session }, 201);
	});
	app.all("/console/api/session", () => {
		throw methodNotAllowed(["GET", "POST"]);
	});

	app.get("/console/api/images/:id/inspection", getImageInspectionDoc, requireToken(), async (c) =>
		c.json({ inspection: await inspectionOf(c.var, c.req.param("id")) }),
	);

	app.get("/downloads/:id", downloadByLinkDoc, async (c) => {
		const { image, blob } = await openLinkedDownload(c.var, c.req.param("id"), {
			expires: c.req.query("expires"),
			signature: c.req.query("signature"),
		});
		return new Response(blob.body, {
			status: 200,
			headers: {
				"Content-Type": "application/octet-stream",
				"Content-Length": String(image.size ?? 0),
				"Content-Disposition": attachment(image.name, image.id),
				"Cache-Control": "private, no-store",
				"Referrer-Policy": "no-referrer",
				...(image.checksum ? { "Content-MD5": image.checksum } : {}),
			},
		});
	});

	return app;
}
