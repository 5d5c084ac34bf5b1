#!/usr/bin/env node
// `npm run example-image [-- FILE]`: writes a small, valid qcow2 (version 3) image to try the
// registry with, in plain JavaScript because qemu-img is often not installed. Random bytes named
// .qcow2 would be refused by the server's content checks (and the image killed), so the
// walkthrough needs a real one: a 64 MiB virtual disk holding four allocated 64 KiB clusters of
// text, 576 KiB on disk (large enough for the README's Range example). `qemu-img check` finds
// no errors in it.

import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CLUSTER_BITS = 16;
const CLUSTER = 2 ** CLUSTER_BITS;
const VIRTUAL_SIZE = 64 * 1024 * 1024;
const DATA_CLUSTERS = 4;

/** The image's bytes. Layout, one cluster each: header, refcount table, refcount block, L1, L2, data. */
export function exampleQcow2() {
	const [REFTABLE, REFBLOCK, L1, L2, DATA] = [1, 2, 3, 4, 5];
	const clusters = DATA + DATA_CLUSTERS;
	const image = Buffer.alloc(clusters * CLUSTER);
	const at = (/** @type {number} */ cluster) => cluster * CLUSTER;
	// An entry's top bit ("copied") says its refcount is exactly 1, which holds for every cluster.
	const COPIED = 1n << 63n;

	image.write("QFI\xfb", 0, "latin1");
	image.writeUInt32BE(3, 4); // version
	image.writeUInt32BE(CLUSTER_BITS, 20);
	image.writeBigUInt64BE(BigInt(VIRTUAL_SIZE), 24);
	image.writeUInt32BE(0, 32); // no encryption
	// One L2 table maps CLUSTER / 8 clusters: 512 MiB, so one L1 entry covers the disk.
	image.writeUInt32BE(1, 36); // l1_size
	image.writeBigUInt64BE(BigInt(at(L1)), 40);
	image.writeBigUInt64BE(BigInt(at(REFTABLE)), 48);
	image.writeUInt32BE(1, 56); // refcount_table_clusters
	// Version 3 fields: no feature bits, 16-bit refcounts, the 104-byte header; the end of the
	// header extensions follows as eight zero bytes (already zero).
	image.writeUInt32BE(4, 96);
	image.writeUInt32BE(104, 100);

	image.writeBigUInt64BE(BigInt(at(REFBLOCK)), at(REFTABLE));
	for (let c = 0; c < clusters; c++) image.writeUInt16BE(1, at(REFBLOCK) + 2 * c);
	image.writeBigUInt64BE(BigInt(at(L2)) | COPIED, at(L1));
	for (let i = 0; i < DATA_CLUSTERS; i++) {
		image.writeBigUInt64BE(BigInt(at(DATA + i)) | COPIED, at(L2) + 8 * i);
		const text = `glance-edge example image, cluster ${i}\n`;
		for (let o = 0; o + text.length <= CLUSTER; o += text.length) {
			image.write(text, at(DATA + i) + o, "latin1");
		}
	}
	return image;
}

function main() {
	const name = process.argv[2] ?? "example.qcow2";
	// Relative to where `npm run` was typed, not the project root npm runs scripts in.
	const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), name);
	const image = exampleQcow2();
	fs.writeFileSync(file, image);
	process.stdout.write(
		`${path.relative(process.cwd(), file) || file}: qcow2, ${VIRTUAL_SIZE / 2 ** 20} MiB virtual, ${image.length} bytes\n`,
	);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
