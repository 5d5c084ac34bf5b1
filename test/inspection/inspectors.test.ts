import { type Inspection, inspectWindows } from "../../src/inspection";
import { fixture, windowsOf } from "./fixtures";

const OPTIONS = { vmdkAllowedTypes: new Set(["monolithicSparse", "streamOptimized"]) };
const MiB = 1024 * 1024;

async function inspectFixture(name: string, options = OPTIONS): Promise<Inspection> {
	return inspectWindows(windowsOf(await fixture(name)), options);
}

/** Copies `bytes` with `patch` written at `at`. */
function patched(bytes: Uint8Array, at: number, patch: number[] | string): Uint8Array {
	const out = bytes.slice();
	const values = typeof patch === "string" ? [...patch].map((c) => c.charCodeAt(0)) : patch;
	out.set(values, at);
	return out;
}

describe("real images written by qemu-img, cryptsetup, sgdisk, sfdisk, genisoimage, xorriso", () => {
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
		["luks.luks", "luks", MiB],
		["iso9660.iso", "iso", 358_400],
		["iso-hybrid-mbr.iso", "iso", 409_600],
		["raw.raw", "raw", MiB],
		["gpt-disk.raw", "gpt", null],
		["mbr-disk.raw", "mbr", null],
	])("recognises %s as safe %s with its virtual size", async (name, format, virtualSize) => {
		const result = await inspectFixture(name);
		expect(result).toMatchObject({ format, virtualSize, unsafe: null });
	});

	it("accepts a bootable ISO with a GPT (the one allowed polyglot)", async () => {
		const result = await inspectFixture("iso-hybrid-gpt.iso");
		expect(result).toMatchObject({ format: "iso", unsafe: null, matches: ["iso", "gpt"] });
	});

	it("reads a VHDX's virtual size from its metadata region, 3 MiB into the file", async () => {
		const bytes = await fixture("vhdx.vhdx");
		const windows = windowsOf(bytes);
		expect(windows.regions).toEqual([expect.objectContaining({ offset: 3 * MiB })]);
		expect(inspectWindows(windows, OPTIONS).virtualSize).toBe(MiB);
		// Without the region the format is still known, the size is not.
		expect(inspectWindows({ ...windows, regions: [] }, OPTIONS)).toMatchObject({
			format: "vhdx",
			virtualSize: null,
			unsafe: null,
		});
	});
});

describe("unsafe images", () => {
	it.each([
		["bad-qcow2-backing-file.qcow2", /refers to a backing file \(\/etc\/passwd\)/],
		["bad-qcow2-data-file.qcow2", /external data file/],
		["bad-qcow2-unknown-features.qcow2", /incompatible features .* \(feature bits 10, 40\)/],
		["bad-qcow2-extended-l2.qcow2", /extended L2 entries/],
		["bad-vmdk-flat-host-path.vmdk", /names a file by path \(RW 2048 FLAT "\/etc\/shadow" 0\)/],
		["bad-vmdk-sparse-host-path.vmdk", /names a file by path .*\/etc\/shadow/],
		["bad-vmdk-stream-optimized-footer.vmdk", /footer does not match its header/],
		["bad-polyglot-qcow2-iso.iso", /matches more than one disk format \(qcow2 and ISO/],
		["bad-mbr-boot-flag.raw", /partition entry 1 has an invalid boot flag/],
		["qed.qed", /QED image/],
	])("refuses %s", async (name, reason) => {
		const result = await inspectFixture(name);
		expect(result.unsafe).toMatch(reason);
	});

	it("refuses VMDK create types outside the allow-list", async () => {
		const only = { vmdkAllowedTypes: new Set(["streamOptimized"]) };
		expect((await inspectFixture("vmdk-monolithic-sparse.vmdk", only)).unsafe).toBe(
			"The VMDK image is of type 'monolithicSparse'; only 'streamOptimized' VMDK images are accepted.",
		);
		const none = { vmdkAllowedTypes: new Set<string>() };
		expect((await inspectFixture("vmdk-stream-optimized.vmdk", none)).unsafe).toBe(
			"VMDK images are not accepted by this registry.",
		);
	});

	it("refuses a descriptor-only VMDK even without a path in its extent", async () => {
		const text = `# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\n\nRW 2048 FLAT "disk-flat.vmdk" 0\n`;
		const result = inspectWindows(windowsOf(new TextEncoder().encode(text)), OPTIONS);
		expect(result.format).toBe("vmdk");
		expect(result.unsafe).toMatch(/VMDK descriptor file \(type 'monolithicFlat'\)/);
	});

	it("refuses a VMDK that names a parent disk or carries an unknown descriptor line", async () => {
		const sparse = await fixture("vmdk-monolithic-sparse.vmdk");
		const descriptorAt = 512;
		const withLine = (line: string) => {
			const text = new TextDecoder().decode(sparse.subarray(descriptorAt, descriptorAt + 1024));
			const edited = text.replace("parentCID=ffffffff", line);
			return patched(sparse, descriptorAt, edited.slice(0, 1024));
		};
		const parent = inspectWindows(windowsOf(withLine('parentFileNameHint="base.vmdk"')), OPTIONS);
		expect(parent.unsafe).toMatch(/refers to a parent disk \(base\.vmdk\)/);
		const delta = inspectWindows(windowsOf(withLine("parentCID=12345678")), OPTIONS);
		expect(delta.unsafe).toMatch(/delta disk/);
		const unknown = inspectWindows(windowsOf(withLine('changeTrackPath="x-ctk.vmdk"')), OPTIONS);
		expect(unknown.unsafe).toMatch(/line this registry does not accept: changeTrackPath/);
	});

	it("refuses a streamOptimized VMDK whose end-of-stream marker is damaged", async () => {
		const good = await fixture("vmdk-stream-optimized-footer.vmdk");
		const bad = patched(good, good.byteLength - 512 + 12, [7]);
		expect(inspectWindows(windowsOf(bad), OPTIONS).unsafe).toMatch(/end-of-stream marker/);
		const truncated = good.subarray(0, good.byteLength - 512);
		expect(inspectWindows(windowsOf(truncated), OPTIONS).unsafe).toMatch(/footer/);
	});

	it("refuses qcow2 version 1 and unknown versions", async () => {
		const q = await fixture("qcow2-v3.qcow2");
		expect(inspectWindows(windowsOf(patched(q, 4, [0, 0, 0, 1])), OPTIONS).unsafe).toMatch(
			/qcow version 1/,
		);
		expect(inspectWindows(windowsOf(patched(q, 4, [0, 0, 0, 4])), OPTIONS).unsafe).toMatch(
			/unknown version \(4\)/,
		);
	});

	it("refuses a qcow2 whose header extension names an external data file", async () => {
		const q = await fixture("qcow2-v3.qcow2");
		const headerLength = new DataView(q.buffer, q.byteOffset).getUint32(100);
		// Put a data-file-name extension first; the feature bit itself stays clear.
		const ext = [
			0x44,
			0x41,
			0x54,
			0x41,
			0,
			0,
			0,
			8,
			..."/dev/sda".split("").map((c) => c.charCodeAt(0)),
		];
		const result = inspectWindows(windowsOf(patched(q, headerLength, ext)), OPTIONS);
		expect(result.unsafe).toMatch(/names an external data file \(\/dev\/sda\)/);
	});

	it("refuses differencing VHDs and VDI snapshots", async () => {
		const vhd = await fixture("vhd-dynamic.vhd");
		expect(inspectWindows(windowsOf(patched(vhd, 60, [0, 0, 0, 4])), OPTIONS).unsafe).toMatch(
			/differencing VHD/,
		);
		const vdi = await fixture("vdi.vdi");
		expect(inspectWindows(windowsOf(patched(vdi, 76, [4, 0, 0, 0])), OPTIONS).unsafe).toMatch(
			/VDI snapshot/,
		);
	});

	it("applies the GPT protective-MBR rules", async () => {
		const gpt = await fixture("gpt-disk.raw");
		const second = patched(gpt, 446 + 16, [0, 0, 2, 0, 0x83, 0, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0]);
		expect(inspectWindows(windowsOf(second), OPTIONS).unsafe).toMatch(/first and only/);
		const lba = patched(gpt, 446 + 8, [2, 0, 0, 0]);
		expect(inspectWindows(windowsOf(lba), OPTIONS).unsafe).toMatch(/does not start at sector 1/);
		const noHeader = patched(gpt, 512, "NOT PART");
		expect(inspectWindows(windowsOf(noHeader), OPTIONS).unsafe).toMatch(/not followed by a GPT/);
		const empty = new Uint8Array(1024);
		empty.set([0x55, 0xaa], 510);
		expect(inspectWindows(windowsOf(empty), OPTIONS).unsafe).toMatch(/no partition is defined/);
	});

	it("does not take a FAT boot sector for a partition table", () => {
		const fat = new Uint8Array(4096);
		fat.set([0xeb, 0x3c, 0x90], 0);
		fat.set(
			[..."FAT16   "].map((c) => c.charCodeAt(0)),
			54,
		);
		fat.set([0x55, 0xaa], 510);
		fat[446] = 0x1f; // boot code, not a partition entry
		expect(inspectWindows(windowsOf(fat), OPTIONS)).toMatchObject({ format: "raw", unsafe: null });
	});

	it("refuses LUKS2 and LUKS headers that would make a consumer burn CPU", async () => {
		const luks = await fixture("luks.luks");
		expect(inspectWindows(windowsOf(patched(luks, 6, [0, 2])), OPTIONS).unsafe).toMatch(
			/LUKS version 2/,
		);
		const slowSlot = patched(luks, 208 + 4, [0x7f, 0xff, 0xff, 0xff]);
		expect(inspectWindows(windowsOf(slowSlot), OPTIONS).unsafe).toMatch(/excessive number/);
	});

	it("refuses a raw disk that ends in a fixed-VHD footer when it also starts with qcow2", async () => {
		const q = await fixture("qcow2-v3.qcow2");
		const vhd = await fixture("vhd-fixed.vhd");
		const both = new Uint8Array(vhd);
		both.set(q, 0);
		expect(inspectWindows(windowsOf(both), OPTIONS).unsafe).toMatch(/qcow2 and VHD/);
	});
});
