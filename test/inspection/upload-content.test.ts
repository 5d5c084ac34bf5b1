import { env } from "cloudflare:workers";
import { inspectStoredObject } from "../../src/services/stored-windows";
import { R2BlobStore } from "../../src/storage/r2-blob-store";
import { appWith } from "../helpers/app";
import { chunkedStream } from "../helpers/bytes";
import { metaHeaders } from "../helpers/fixtures";
import { type ApiInit, errorOf } from "../helpers/http";
import { objectExists } from "../helpers/images";
import { fixture } from "./fixtures";
import { tar } from "./tar";

interface ImageBody {
	image: { id: string; status: string; size: number; virtual_size: number | null };
}

const STRICT = { REQUIRE_IMAGE_FORMAT_MATCH: "true" };
const MiB = 1024 * 1024;

/** Calls the worker's app with vars overridden (the test config turns enforcement off). */
function call(path: string, init: ApiInit, vars: Partial<Cloudflare.Env> = {}) {
	return appWith({ vars: { ...STRICT, ...vars } }).api(path, init);
}

/** POST /v1/images with data; `chunked` sends it without a length (the multipart path). */
function upload(
	bytes: Uint8Array,
	diskFormat: string,
	options: { container?: string; vars?: Record<string, string>; chunked?: boolean } = {},
) {
	const headers = metaHeaders({
		"content-type": "application/octet-stream",
		"x-image-meta-disk_format": diskFormat,
		"x-image-meta-container_format": options.container ?? "bare",
		...(options.chunked ? {} : { "content-length": String(bytes.byteLength) }),
	});
	const body = options.chunked ? chunkedStream(bytes, 300_000) : bytes;
	return call("/v1/images", { method: "POST", headers, body }, options.vars);
}

async function lastImage() {
	return env.DB.prepare(
		"SELECT id, status, status_reason, virtual_size FROM images ORDER BY rowid DESC LIMIT 1",
	).first<{
		id: string;
		status: string;
		status_reason: string | null;
		virtual_size: number | null;
	}>();
}

describe("uploads of real images under their true disk_format", () => {
	it.each([
		["qcow2-v2.qcow2", "qcow2", MiB],
		["qcow2-v3.qcow2", "qcow2", MiB],
		["vmdk-monolithic-sparse.vmdk", "vmdk", MiB],
		["vmdk-stream-optimized.vmdk", "vmdk", MiB],
		["vmdk-stream-optimized-footer.vmdk", "vmdk", MiB],
		["vhd-dynamic.vhd", "vhd", 1_079_296],
		["vhd-fixed.vhd", "vhd", 1_079_296],
		["vhdx.vhdx", "vhdx", MiB],
		["vdi.vdi", "vdi", MiB],
		["raw.raw", "raw", MiB],
		["gpt-disk.raw", "raw", MiB],
		["mbr-disk.raw", "raw", MiB],
		["iso9660.iso", "iso", 358_400],
		["iso-hybrid-mbr.iso", "iso", 409_600],
		["iso-hybrid-gpt.iso", "iso", 475_136],
	])("%s as %s → 201 active, virtual_size %d", async (name, diskFormat, virtualSize) => {
		const res = await upload(await fixture(name), diskFormat);
		expect(res.status).toBe(201);
		const { image } = (await res.json()) as ImageBody;
		expect(image).toMatchObject({ status: "active", virtual_size: virtualSize });
		expect((await lastImage())?.virtual_size).toBe(virtualSize);
	});

	it("accepts a LUKS volume when the operator lists luks as a disk format", async () => {
		const res = await upload(await fixture("luks.luks"), "luks", {
			vars: { DISK_FORMATS: "raw,qcow2,luks" },
		});
		expect(res.status).toBe(201);
		expect(((await res.json()) as ImageBody).image.virtual_size).toBe(MiB);
	});

	it("inspects a body of unknown length too (multipart; the VHDX size lives 3 MiB in)", async () => {
		const res = await upload(await fixture("vhdx.vhdx"), "vhdx", { chunked: true });
		expect(res.status).toBe(201);
		expect(((await res.json()) as ImageBody).image).toMatchObject({
			status: "active",
			virtual_size: MiB,
		});
	});

	it("inspects the disk inside an OVA, reading its regions as the stream passes", async () => {
		const ova = tar([
			{ name: "vm.ovf", data: new TextEncoder().encode("<Envelope/>") },
			{ name: "disk.vhdx", data: await fixture("vhdx.vhdx") },
		]);
		const res = await upload(ova, "vhdx", { container: "ova", chunked: true });
		expect(res.status).toBe(201);
		expect(((await res.json()) as ImageBody).image.virtual_size).toBe(MiB);
		const wrong = await upload(ova, "qcow2", { container: "ova" });
		expect(wrong.status).toBe(400);
		expect((await errorOf(wrong)).message).toMatch(/the image data is a VHDX image/);
	});

	it("inspects data sent with PUT to a queued image", async () => {
		const created = await call("/v1/images", {
			method: "POST",
			headers: metaHeaders({ "x-image-meta-disk_format": "qcow2" }),
		});
		const { image } = (await created.json()) as ImageBody;
		const bytes = await fixture("raw.raw");
		const put = (headers: Record<string, string>) =>
			call(`/v1/images/${image.id}`, {
				method: "PUT",
				headers: {
					"content-type": "application/octet-stream",
					"content-length": String(bytes.byteLength),
					...headers,
				},
				body: bytes,
			});
		const res = await put({});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toMatch(/says 'qcow2', but the image data is not a qcow2/);
		expect((await lastImage())?.status).toBe("killed");
	});
});

describe("refused uploads end killed, their bytes removed, with the reason", () => {
	it.each([
		["bad-qcow2-backing-file.qcow2", "qcow2", /refers to a backing file \(\/etc\/passwd\)/],
		["bad-qcow2-data-file.qcow2", "qcow2", /external data file/],
		["bad-qcow2-unknown-features.qcow2", "qcow2", /incompatible features/],
		["bad-qcow2-extended-l2.qcow2", "qcow2", /extended L2/],
		["bad-vmdk-flat-host-path.vmdk", "vmdk", /names a file by path/],
		["bad-vmdk-sparse-host-path.vmdk", "vmdk", /names a file by path/],
		["bad-vmdk-stream-optimized-footer.vmdk", "vmdk", /footer does not match its header/],
		["bad-polyglot-qcow2-iso.iso", "iso", /more than one disk format/],
		["bad-mbr-boot-flag.raw", "raw", /invalid boot flag/],
		["qed.qed", "raw", /QED image/],
	])("%s as %s → 400", async (name, diskFormat, reason) => {
		const res = await upload(await fixture(name), diskFormat);
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toMatch(reason);
		expect(error.field).toBeUndefined();
		const row = await lastImage();
		expect(row).toMatchObject({ status: "killed", status_reason: error.message });
		expect(await objectExists(row?.id ?? "")).toBe(false);
	});

	it("refuses a qcow2 labelled raw, naming x-image-meta-disk_format", async () => {
		const res = await upload(await fixture("qcow2-v3.qcow2"), "raw");
		expect(res.status).toBe(400);
		const error = await errorOf(res);
		expect(error.message).toBe(
			"x-image-meta-disk_format says 'raw', but the image data is a qcow2 (v3) image. Register it with disk_format 'qcow2', or convert it to raw first.",
		);
		expect(error.field).toBe("x-image-meta-disk_format");
		const row = await lastImage();
		expect(row?.status).toBe("killed");
		expect(await objectExists(row?.id ?? "")).toBe(false);
	});

	it("refuses a mismatch on the unknown-length path as well", async () => {
		const res = await upload(await fixture("vmdk-stream-optimized.vmdk"), "qcow2", {
			chunked: true,
		});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toMatch(/the image data is a VMDK \(streamOptimized\)/);
		expect(await objectExists((await lastImage())?.id ?? "")).toBe(false);
	});

	it("honours VMDK_ALLOWED_TYPES", async () => {
		const res = await upload(await fixture("vmdk-monolithic-sparse.vmdk"), "vmdk", {
			vars: { VMDK_ALLOWED_TYPES: "streamOptimized" },
		});
		expect(res.status).toBe(400);
		expect((await errorOf(res)).message).toBe(
			"The VMDK image is of type 'monolithicSparse'; only 'streamOptimized' VMDK images are accepted.",
		);
	});
});

describe("REQUIRE_IMAGE_FORMAT_MATCH=false", () => {
	const LENIENT = { REQUIRE_IMAGE_FORMAT_MATCH: "false" };

	it("accepts a mislabelled image, recording no virtual size", async () => {
		const res = await upload(await fixture("qcow2-v3.qcow2"), "raw", { vars: LENIENT });
		expect(res.status).toBe(201);
		expect(((await res.json()) as ImageBody).image).toMatchObject({
			status: "active",
			virtual_size: null,
		});
	});

	it("still refuses unsafe images", async () => {
		const res = await upload(await fixture("bad-qcow2-backing-file.qcow2"), "qcow2", {
			vars: LENIENT,
		});
		expect(res.status).toBe(400);
		expect((await lastImage())?.status).toBe("killed");
	});

	it("is on when the var is unset, and a bad value is a configuration error", async () => {
		const unset = await upload(await fixture("qcow2-v3.qcow2"), "raw", {
			vars: { REQUIRE_IMAGE_FORMAT_MATCH: "" },
		});
		expect(unset.status).toBe(400);
		const bad = await upload(await fixture("qcow2-v3.qcow2"), "raw", {
			vars: { REQUIRE_IMAGE_FORMAT_MATCH: "maybe" },
		});
		expect(bad.status).toBe(500);
		expect((await errorOf(bad)).message).toContain(
			"REQUIRE_IMAGE_FORMAT_MATCH must be true or false",
		);
	});
});

describe("inspectStoredObject (ranged reads of a stored object)", () => {
	const blobs = () => new R2BlobStore(env.IMAGES);
	const policy = {
		requireFormatMatch: true,
		vmdkAllowedTypes: new Set(["monolithicSparse", "streamOptimized"]),
	};

	it("gives the same verdicts as the upload path, reading only windows", async () => {
		const cases: [string, string, boolean][] = [
			["vhdx.vhdx", "vhdx", true],
			["vmdk-stream-optimized-footer.vmdk", "vmdk", true],
			["bad-vmdk-stream-optimized-footer.vmdk", "vmdk", false],
			["qcow2-v3.qcow2", "raw", false],
			["vhd-fixed.vhd", "vhd", true],
		];
		for (const [name, diskFormat, accepted] of cases) {
			const bytes = await fixture(name);
			await env.IMAGES.put(`stored/${name}`, bytes);
			const reads: { offset: number; length: number }[] = [];
			let unranged = 0;
			const store = blobs();
			const counting = Object.assign(Object.create(store), {
				get: (key: string, range?: { offset: number; length: number }) => {
					if (range) reads.push(range);
					else unranged += 1;
					return store.get(key, range);
				},
			}) as R2BlobStore;
			const verdict = await inspectStoredObject(
				counting,
				`stored/${name}`,
				{ diskFormat, containerFormat: "bare" },
				policy,
			);
			expect(verdict?.accepted).toBe(accepted);
			// Only small ranged reads: a whole object's stream opened to read its head and cancelled
			// is a multi-gigabyte read begun and dropped (and it upset the local R2 simulator).
			expect(unranged).toBe(0);
			expect(reads.every((r) => r.length <= MiB)).toBe(true);
			expect(reads.length).toBeLessThanOrEqual(7);
		}
		const vhdx = await inspectStoredObject(
			blobs(),
			"stored/vhdx.vhdx",
			{ diskFormat: "vhdx", containerFormat: "bare" },
			policy,
		);
		expect(vhdx).toMatchObject({ accepted: true, virtualSize: MiB });
	});

	it("handles small and empty objects, and answers null for a missing one", async () => {
		await env.IMAGES.put("stored/tiny", new Uint8Array([1, 2, 3]));
		await env.IMAGES.put("stored/empty", new Uint8Array(0));
		const declared = { diskFormat: "raw", containerFormat: "bare" };
		expect(await inspectStoredObject(blobs(), "stored/tiny", declared, policy)).toMatchObject({
			accepted: true,
			virtualSize: 3,
		});
		expect(await inspectStoredObject(blobs(), "stored/empty", declared, policy)).toMatchObject({
			accepted: true,
		});
		expect(await inspectStoredObject(blobs(), "stored/none", declared, policy)).toBeNull();
	});
});
