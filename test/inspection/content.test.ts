import { type ContentPolicy, judgeContent } from "../../src/inspection";
import { fixture, windowsOf } from "./fixtures";
import { tar } from "./tar";

const POLICY: ContentPolicy = {
	requireFormatMatch: true,
	vmdkAllowedTypes: new Set(["monolithicSparse", "streamOptimized"]),
};
const LENIENT: ContentPolicy = { ...POLICY, requireFormatMatch: false };
const MiB = 1024 * 1024;
const OVF = new TextEncoder().encode('<?xml version="1.0"?><Envelope/>\n');

async function judge(
	name: string | Uint8Array,
	diskFormat: string,
	containerFormat = "bare",
	policy = POLICY,
) {
	const bytes = typeof name === "string" ? await fixture(name) : name;
	return judgeContent(windowsOf(bytes), { diskFormat, containerFormat }, policy);
}

describe("declared disk_format against the bytes", () => {
	it("accepts each format under its own name and records the virtual size", async () => {
		expect(await judge("qcow2-v3.qcow2", "qcow2")).toEqual({
			accepted: true,
			virtualSize: MiB,
			detected: "qcow2",
		});
		expect(await judge("vhd-fixed.vhd", "vhd")).toMatchObject({ virtualSize: 1_079_296 });
	});

	it("refuses a qcow2 labelled raw, naming the header", async () => {
		expect(await judge("qcow2-v3.qcow2", "raw")).toEqual({
			accepted: false,
			reason:
				"x-image-meta-disk_format says 'raw', but the image data is a qcow2 (v3) image. Register it with disk_format 'qcow2', or convert it to raw first.",
			field: "disk_format",
		});
	});

	it("refuses raw data labelled qcow2", async () => {
		expect(await judge("raw.raw", "qcow2")).toEqual({
			accepted: false,
			reason:
				"x-image-meta-disk_format says 'qcow2', but the image data is not a qcow2 image: no qcow2 header was found (it looks like raw data).",
			field: "disk_format",
		});
	});

	it("lets raw hold partitioned disks and ISOs (plain bytes), with the byte size as virtual size", async () => {
		for (const name of ["gpt-disk.raw", "mbr-disk.raw", "iso9660.iso"]) {
			const bytes = await fixture(name);
			expect(await judge(bytes, "raw")).toEqual({
				accepted: true,
				virtualSize: bytes.byteLength,
				detected: expect.any(String),
			});
		}
	});

	it("refuses a raw disk labelled iso", async () => {
		expect(await judge("gpt-disk.raw", "iso")).toMatchObject({ accepted: false });
	});

	it("takes plain bytes for formats it cannot inspect (ami, aki, ari, ploop), but no rich format", async () => {
		for (const [disk, container] of [
			["ami", "ami"],
			["aki", "aki"],
			["ari", "ari"],
			["ploop", "bare"],
		]) {
			expect(await judge("raw.raw", disk, container)).toEqual({
				accepted: true,
				virtualSize: null,
				detected: "raw",
			});
		}
		expect(await judge("qcow2-v3.qcow2", "ami", "ami")).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("'ami', which holds plain (raw) bytes"),
		});
	});

	it("with enforcement off accepts mislabelled data (recording no virtual size) but never unsafe data", async () => {
		expect(await judge("qcow2-v3.qcow2", "raw", "bare", LENIENT)).toEqual({
			accepted: true,
			virtualSize: null,
			detected: "qcow2",
		});
		expect(await judge("bad-qcow2-backing-file.qcow2", "qcow2", "bare", LENIENT)).toMatchObject({
			accepted: false,
			field: null,
		});
	});

	it("treats ovf and docker containers like bare", async () => {
		expect(await judge("vmdk-stream-optimized.vmdk", "vmdk", "ovf")).toMatchObject({
			accepted: true,
		});
		expect(await judge("qcow2-v3.qcow2", "raw", "docker")).toMatchObject({ accepted: false });
	});

	it("accepts an empty image without inspecting it", () => {
		const empty = new Uint8Array(0);
		expect(
			judgeContent(windowsOf(empty), { diskFormat: "qcow2", containerFormat: "bare" }, POLICY),
		).toEqual({ accepted: true, virtualSize: null, detected: null });
	});
});

describe("container_format ova", () => {
	it("inspects the disk inside a single-disk OVA", async () => {
		const vmdk = await fixture("vmdk-stream-optimized-footer.vmdk");
		const ova = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "vm.mf", data: new TextEncoder().encode("SHA256(vm.ovf)= 00\n") },
			{ name: "vm-disk1.vmdk", data: vmdk },
		]);
		expect(await judge(ova, "vmdk", "ova")).toEqual({
			accepted: true,
			virtualSize: MiB,
			detected: "vmdk",
		});
		expect(await judge(ova, "qcow2", "ova")).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("the image data is a VMDK (streamOptimized) image"),
		});
	});

	it("checks the footer of a disk that ends before the archive does", async () => {
		const bad = await fixture("bad-vmdk-stream-optimized-footer.vmdk");
		const ova = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "disk.vmdk", data: bad },
		]);
		expect(await judge(ova, "vmdk", "ova")).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("footer does not match"),
		});
	});

	it("refuses unsafe disks, links, paths and a second disk whatever the policy", async () => {
		const unsafe = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "disk.vmdk", data: await fixture("bad-vmdk-sparse-host-path.vmdk") },
		]);
		expect(await judge(unsafe, "vmdk", "ova", LENIENT)).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("names a file by path"),
		});
		const link = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "disk.vmdk", data: new Uint8Array(0), type: "2", linkName: "/etc/shadow" },
		]);
		expect(await judge(link, "vmdk", "ova", LENIENT)).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("contains a link (disk.vmdk)"),
		});
		const path = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "../disk.vmdk", data: await fixture("vmdk-stream-optimized.vmdk") },
		]);
		expect(await judge(path, "vmdk", "ova", LENIENT)).toMatchObject({
			reason: expect.stringContaining("file name with a path"),
		});
		const vmdk = await fixture("vmdk-stream-optimized.vmdk");
		const twoDisks = tar([
			{ name: "vm.ovf", data: OVF },
			{ name: "disk1.vmdk", data: vmdk },
			{ name: "disk2.vmdk", data: await fixture("bad-qcow2-backing-file.qcow2") },
		]);
		expect(await judge(twoDisks, "vmdk", "ova", LENIENT)).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("more than one disk file"),
		});
	});

	it("refuses pax records that rename a member to a path or make it a link", async () => {
		const vmdk = await fixture("vmdk-stream-optimized.vmdk");
		const pax = (record: string) =>
			tar([
				{ name: "vm.ovf", data: OVF },
				{ name: "PaxHeader", type: "x", data: new TextEncoder().encode(record) },
				{ name: "disk.vmdk", data: vmdk },
			]);
		expect(await judge(pax("30 path=/var/lib/nova/disk.vmdk\n"), "vmdk", "ova")).toMatchObject({
			reason: expect.stringContaining("file name with a path (/var/lib/nova/disk.vmdk)"),
		});
		expect(await judge(pax("25 linkpath=/etc/shadow\n"), "vmdk", "ova")).toMatchObject({
			reason: expect.stringContaining("contains a link"),
		});
		expect(await judge(pax("20 mtime=1700000000\n"), "vmdk", "ova")).toMatchObject({
			accepted: true,
		});
	});

	it("still checks the bytes of a non-tar 'ova' for safety when enforcement is off", async () => {
		expect(await judge("bad-qcow2-backing-file.qcow2", "vmdk", "ova", LENIENT)).toMatchObject({
			accepted: false,
			reason: expect.stringContaining("backing file"),
		});
	});

	it("refuses data that is not a tar archive unless enforcement is off", async () => {
		expect(await judge("vmdk-stream-optimized.vmdk", "vmdk", "ova")).toEqual({
			accepted: false,
			reason: "The data of an image with container_format 'ova' is not a tar archive.",
			field: "container_format",
		});
		// Then the bytes are checked as the disk itself.
		expect(await judge("vmdk-stream-optimized.vmdk", "vmdk", "ova", LENIENT)).toMatchObject({
			accepted: true,
			virtualSize: MiB,
		});
	});
});

describe("the words of a refusal", () => {
	it('says "an iso image", not "a iso image"', async () => {
		const verdict = await judge("raw.raw", "iso");
		expect(verdict).toMatchObject({ accepted: false });
		expect(JSON.stringify(verdict)).toContain("is not an iso image: no iso header was found");
	});
});
