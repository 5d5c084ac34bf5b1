// Test data for the benchmark: image bodies on disk (made once, reused across runs) and the SQL
// that seeds both workers' D1 with the same 10 000 images.

import { createHash, randomFillSync } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";

const WRITE_CHUNK = 4 * 1024 * 1024;

/**
 * A file of `size` random bytes under `dir`, with its MD5 and SHA-512. Made once (hashed while
 * written) and reused by later runs; the bytes are random so nothing on the way can compress them.
 */
export async function bodyFile(dir, size, log) {
	fs.mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `body-${size}.bin`);
	const sidecar = `${file}.json`;
	try {
		const info = JSON.parse(fs.readFileSync(sidecar, "utf8"));
		if (info.size === size && fs.statSync(file).size === size) return { file, ...info };
	} catch {
		// Not made yet, or left half-made by an interrupted run: make it again.
	}
	log(`writing ${formatBytes(size)} of random test data to ${file} (once)`);
	const md5 = createHash("md5");
	const sha512 = createHash("sha512");
	const partial = `${file}.partial`;
	const out = fs.createWriteStream(partial);
	const buffer = Buffer.alloc(WRITE_CHUNK);
	for (let written = 0; written < size; ) {
		const n = Math.min(WRITE_CHUNK, size - written);
		// A fresh copy per write: the stream may still hold the previous one.
		const chunk = Buffer.from(randomFillSync(buffer, 0, n).subarray(0, n));
		md5.update(chunk);
		sha512.update(chunk);
		written += n;
		if (!out.write(chunk)) await once(out, "drain");
	}
	out.end();
	await once(out, "finish");
	const info = { size, md5: md5.digest("hex"), sha512: sha512.digest("hex") };
	fs.renameSync(partial, file);
	fs.writeFileSync(sidecar, JSON.stringify(info));
	return { file, ...info };
}

/** A deterministic image id for seed row `i`. */
export function seedId(i) {
	return `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;
}

const ROWS_PER_STATEMENT = 100;
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

/**
 * SQL that inserts `count` active images owned by `owner`, each with two properties (as images
 * registered by real tooling have), in multi-row statements so the import takes seconds.
 */
export function seedSql(count, owner) {
	const start = Date.UTC(2025, 0, 1);
	const lines = [];
	for (let first = 0; first < count; first += ROWS_PER_STATEMENT) {
		const images = [];
		const properties = [];
		for (let i = first; i < Math.min(first + ROWS_PER_STATEMENT, count); i++) {
			const id = seedId(i);
			const stamp = `${new Date(start + i * 1000).toISOString().slice(0, 23)}000`;
			const checksum = createHash("md5").update(id).digest("hex");
			const sha = createHash("sha512").update(id).digest("hex");
			images.push(
				`(${[
					quote(id),
					quote(`bench-image-${i}`),
					"'active'",
					1024 * 1024 * (1 + (i % 512)),
					quote(checksum),
					"'sha512'",
					quote(sha),
					"'qcow2'",
					"'bare'",
					quote(owner),
					quote(`images/${id}`),
					quote(checksum),
					quote(stamp),
					quote(stamp),
				].join(", ")})`,
			);
			properties.push(
				`(${quote(id)}, 'os_distro', 'debian')`,
				`(${quote(id)}, 'architecture', 'x86_64')`,
			);
		}
		lines.push(
			`INSERT INTO images (id, name, status, size, checksum, os_hash_algo, os_hash_value, disk_format, container_format, owner, object_key, revision, created_at, updated_at) VALUES\n${images.join(",\n")};`,
			`INSERT INTO image_properties (image_id, name, value) VALUES\n${properties.join(",\n")};`,
		);
	}
	return `${lines.join("\n")}\n`;
}

export function formatBytes(n) {
	if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
	if (n >= 1024 ** 2 && n % 1024 ** 2 === 0) return `${n / 1024 ** 2} MiB`;
	return `${n} B`;
}
