import { appWith } from "../helpers/app";
import { chunkedStream, md5Hex, randomBytes } from "../helpers/bytes";
import { metaHeaders } from "../helpers/fixtures";
import { errorOf } from "../helpers/http";
import { expectInvariants } from "../helpers/invariants";

/** The deployed default: nothing to tell a truncated chunked body from a whole one is refused. */
const { api } = appWith({ vars: { ACCEPT_UNSIZED_UPLOADS: "false" } });

function post(headers: Record<string, string>, data: Uint8Array) {
	return api("/v1/images", {
		method: "POST",
		headers: metaHeaders({ "content-type": "application/octet-stream", ...headers }),
		body: chunkedStream(data),
	});
}

describe("a chunked upload that declares neither size nor checksum", () => {
	it("is refused before anything is stored, telling glanceclient users what to pass", async () => {
		const res = await post({}, randomBytes(3000, 31));
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.field).toBe("x-image-meta-size");
		expect(error.message).toMatch(/--size/);
		await expectInvariants();
	});

	it("is taken when it declares its size, or its checksum", async () => {
		const data = randomBytes(3000, 32);
		expect((await post({ "x-image-meta-size": "3000" }, data)).status).toBe(201);
		expect((await post({ "x-image-meta-checksum": await md5Hex(data) }, data)).status).toBe(201);
		await expectInvariants();
	});

	it("is taken with Content-Length, which is a declared size", async () => {
		const data = randomBytes(3000, 33);
		const res = await api("/v1/images", {
			method: "POST",
			headers: metaHeaders({
				"content-type": "application/octet-stream",
				"content-length": "3000",
			}),
			body: data,
		});
		expect(res.status).toBe(201);
	});
});

describe("ACCEPT_UNSIZED_UPLOADS=true", () => {
	it("takes such an upload, for operators who accept the risk", async () => {
		const open = appWith({ vars: { ACCEPT_UNSIZED_UPLOADS: "true" } });
		const res = await open.api("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "content-type": "application/octet-stream" }),
			body: chunkedStream(randomBytes(3000, 34)),
		});
		expect(res.status).toBe(201);
	});
});
