#!/usr/bin/env node
// Writes the MD5 and SHA-512 WebAssembly modules that upload sessions hash with into
// src/storage/wasm/, with an identity for each build. They are generated here, from FIPS 180-4
// and RFC 1321, rather than taken from a package, for speed under workerd: workerd runs
// WebAssembly with explicit bounds checks on every memory access (no trap handler), and a
// SHA-512 that keeps its message schedule in linear memory ran at 0.7× of workerd's native
// DigestStream. These keep the running state and the message words in locals, so a block costs
// a handful of memory accesses, and order each step's sums so the part that waits for the
// previous step is short: measured in workerd, SHA-512 within 7 % of DigestStream's rate and
// MD5 a little above it.
//
// The files are committed (deploys and tests need no extra step); `--check` fails when they
// differ from what this script generates, so an edit here cannot leave stale binaries behind.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import wabt from "wabt";

const root = fileURLToPath(new URL("..", import.meta.url));
const OUT = path.join(root, "src", "storage", "wasm");

/**
 * Memory layout, shared by both builds: the saved state (digest words, byte count, buffered
 * length, buffered bytes) from address 0, the input from INPUT_AT. The state is what a session
 * part saves after itself; the input is where the caller copies bytes before `update`.
 */
const INPUT_AT = 1024;
const INPUT_BYTES = 32 * 1024;

// ---- constants, computed rather than copied from a table ----

function firstPrimes(count) {
	const primes = [];
	for (let n = 2; primes.length < count; n++) if (primes.every((p) => n % p !== 0)) primes.push(n);
	return primes;
}

/** floor(n^(1/k)) of a non-negative BigInt, by Newton's method. */
function integerRoot(n, k) {
	if (n < 2n) return n;
	let x = 1n << (BigInt(n.toString(2).length) / k + 1n);
	for (;;) {
		const next = ((k - 1n) * x + n / x ** (k - 1n)) / k;
		if (next >= x) return x;
		x = next;
	}
}

/** The first 64 bits of the fractional part of p^(1/k) (FIPS 180-4, 4.2.3 and 5.3.5). */
const fraction64 = (p, k) => integerRoot(BigInt(p) << (64n * k), k) & ((1n << 64n) - 1n);

const SHA512_INITIAL = firstPrimes(8).map((p) => fraction64(p, 2n));
const SHA512_ROUND = firstPrimes(80).map((p) => fraction64(p, 3n));
/** RFC 1321's T[i] = floor(2^32 · |sin(i + 1)|); doubles carry enough bits for all 64. */
const MD5_ROUND = Array.from({ length: 64 }, (_, i) =>
	Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32),
);
const MD5_INITIAL = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];

// ---- WebAssembly text helpers ----

const hex64 = (v) => `0x${v.toString(16).padStart(16, "0")}`;
const hex32 = (v) => `0x${(v >>> 0).toString(16).padStart(8, "0")}`;
const get = (name) => `(local.get $${name})`;
/** Reverses the bytes of each 64-bit lane: SHA-512's words are big-endian. */
const SWAP_LANES = "i8x16.shuffle 7 6 5 4 3 2 1 0 15 14 13 12 11 10 9 8";

/**
 * What differs between the two algorithms: the block function's body (working on the digest
 * words h0… held in locals, and the block at $p), and the padding's length field.
 */
function sha512Spec() {
	const t = "i64";
	const rotr = (x, n) => `(i64.rotr ${x} (i64.const ${n}))`;
	const xor3 = (a, b, c) => `(i64.xor (i64.xor ${a} ${b}) ${c})`;
	const add = (a, b) => `(i64.add ${a} ${b})`;
	const bigSigma0 = (x) => xor3(rotr(get(x), 28), rotr(get(x), 34), rotr(get(x), 39));
	const bigSigma1 = (x) => xor3(rotr(get(x), 14), rotr(get(x), 18), rotr(get(x), 41));
	const smallSigma0 = (x) =>
		xor3(rotr(get(x), 1), rotr(get(x), 8), `(i64.shr_u ${get(x)} (i64.const 7))`);
	const smallSigma1 = (x) =>
		xor3(rotr(get(x), 19), rotr(get(x), 61), `(i64.shr_u ${get(x)} (i64.const 6))`);

	const body = [];
	for (let i = 0; i < 8; i++) {
		body.push(
			`(local.set $v (${SWAP_LANES} (v128.load offset=${i * 16} align=1 ${get("p")}) ${get("v")}))`,
		);
		body.push(`(local.set $w${2 * i} (i64x2.extract_lane 0 ${get("v")}))`);
		body.push(`(local.set $w${2 * i + 1} (i64x2.extract_lane 1 ${get("v")}))`);
	}
	const working = ["a", "b", "c", "d", "e", "f", "g", "h"];
	working.forEach((v, i) => {
		body.push(`(local.set $${v} ${get(`h${i}`)})`);
	});
	// Fully unrolled; the eight working variables rotate by renaming instead of by moves.
	let names = [...working];
	for (let round = 0; round < 80; round++) {
		const [a, b, c, d, e, f, g, h] = names;
		const w = `w${round & 15}`;
		if (round >= 16) {
			const next = add(
				add(smallSigma1(`w${(round - 2) & 15}`), get(`w${(round - 7) & 15}`)),
				add(smallSigma0(`w${(round - 15) & 15}`), get(w)),
			);
			body.push(`(local.set $${w} ${next})`);
		}
		const choose = `(i64.xor ${get(g)} (i64.and ${get(e)} (i64.xor ${get(f)} ${get(g)})))`;
		const majority = `(i64.or (i64.and ${get(a)} ${get(b)}) (i64.and ${get(c)} (i64.or ${get(a)} ${get(b)})))`;
		const k = `(i64.const ${hex64(SHA512_ROUND[round])})`;
		// What does not wait for e first (h, k, w), so the chain through e is two adds long.
		body.push(`(local.set $t ${add(add(add(add(get(h), k), get(w)), choose), bigSigma1(e))})`);
		body.push(`(local.set $${d} ${add(get(d), get("t"))})`);
		body.push(`(local.set $${h} ${add(get("t"), add(bigSigma0(a), majority))})`);
		names = [h, a, b, c, d, e, f, g];
	}
	working.forEach((v, i) => {
		body.push(`(local.set $h${i} ${add(get(`h${i}`), get(v))})`);
	});
	const bswap = (x) =>
		`(i64x2.extract_lane 0 (${SWAP_LANES} (i64x2.splat ${x}) (i64x2.splat ${x})))`;
	return {
		name: "sha512",
		type: t,
		wordBytes: 8,
		blockBytes: 128,
		initial: SHA512_INITIAL.map((v) => `(i64.const ${hex64(v)})`),
		locals: [...working, ...Array.from({ length: 16 }, (_, i) => `w${i}`), "t"],
		extraLocals: "(local $v v128)",
		body,
		// A 128-bit big-endian count of bits; images stay far below 2^64 bytes.
		lengthField: (at, bytes) => [
			`(i64.store offset=${at} (i32.const 0) ${bswap(`(i64.shr_u ${bytes} (i64.const 61))`)})`,
			`(i64.store offset=${at + 8} (i32.const 0) ${bswap(`(i64.shl ${bytes} (i64.const 3))`)})`,
		],
		lengthBytes: 16,
		digestWord: (word) => bswap(word),
	};
}

function md5Spec() {
	const shifts = [
		[7, 12, 17, 22],
		[5, 9, 14, 20],
		[4, 11, 16, 23],
		[6, 10, 15, 21],
	];
	// Each step's chain runs through b, just computed: the mix is split into what needs b and what
	// does not (added early with a, the word and the constant), as the OpenSSL assembly does.
	// Round 2's (b & d) | (c & ~d) has no common bits, so its halves can be added.
	const early = [
		() => null,
		(_b, c, d) => `(i32.and ${get(c)} (i32.xor ${get(d)} (i32.const -1)))`,
		() => null,
		() => null,
	];
	const late = [
		(b, c, d) => `(i32.xor ${get(d)} (i32.and ${get(b)} (i32.xor ${get(c)} ${get(d)})))`,
		(b, _c, d) => `(i32.and ${get(b)} ${get(d)})`,
		(b, c, d) => `(i32.xor ${get(b)} (i32.xor ${get(c)} ${get(d)}))`,
		(b, c, d) => `(i32.xor ${get(c)} (i32.or ${get(b)} (i32.xor ${get(d)} (i32.const -1))))`,
	];
	const word = [(i) => i, (i) => (5 * i + 1) % 16, (i) => (3 * i + 5) % 16, (i) => (7 * i) % 16];
	const body = [];
	for (let i = 0; i < 16; i++)
		body.push(`(local.set $x${i} (i32.load offset=${i * 4} align=1 ${get("p")}))`);
	const working = ["a", "b", "c", "d"];
	working.forEach((v, i) => {
		body.push(`(local.set $${v} ${get(`h${i}`)})`);
	});
	let names = [...working];
	for (let step = 0; step < 64; step++) {
		const round = step >> 4;
		const [a, b, c, d] = names;
		const constant = `(i32.add ${get(`x${word[round](step)}`)} (i32.const ${hex32(MD5_ROUND[step])}))`;
		const before = early[round](b, c, d);
		let sum = `(i32.add ${get(a)} ${constant})`;
		if (before) sum = `(i32.add ${sum} ${before})`;
		sum = `(i32.add ${sum} ${late[round](b, c, d)})`;
		body.push(
			`(local.set $${a} (i32.add ${get(b)} (i32.rotl ${sum} (i32.const ${shifts[round][step & 3]}))))`,
		);
		names = [d, a, b, c];
	}
	working.forEach((v, i) => {
		body.push(`(local.set $h${i} (i32.add ${get(`h${i}`)} ${get(v)}))`);
	});
	return {
		name: "md5",
		type: "i32",
		wordBytes: 4,
		blockBytes: 64,
		initial: MD5_INITIAL.map((v) => `(i32.const ${hex32(v)})`),
		locals: [...working, ...Array.from({ length: 16 }, (_, i) => `x${i}`)],
		extraLocals: "",
		body,
		// A 64-bit little-endian count of bits.
		lengthField: (at, bytes) => [
			`(i64.store offset=${at} (i32.const 0) (i64.shl ${bytes} (i64.const 3)))`,
		],
		lengthBytes: 8,
		digestWord: (word) => word,
	};
}

/**
 * The module: `init()`, `update(length)` over that many bytes copied to `input_at`, `finish()`
 * writing the digest at `input_at`, and the state's place and size so the caller can save it
 * and load it back (the state is the whole of what a hash continues from).
 */
function moduleText(spec) {
	const { type, wordBytes, blockBytes } = spec;
	const words = spec.initial.length;
	const digestBytes = words * wordBytes;
	const COUNT = digestBytes; // i64: bytes fed so far
	const PENDING = COUNT + 8; // i32 in an i64 slot: bytes waiting in the block buffer
	const BLOCK = PENDING + 8; // the buffered bytes of an incomplete block
	const STATE_BYTES = BLOCK + blockBytes;
	const lastField = blockBytes - spec.lengthBytes;
	const wordAt = (i) => `offset=${i * wordBytes} (i32.const 0)`;
	const hs = Array.from({ length: words }, (_, i) => `h${i}`);
	const locals = [...spec.locals, ...hs].map((v) => `(local $${v} ${type})`).join(" ");

	return `(module
 (memory (export "memory") 1)
 (global (export "state_at") i32 (i32.const 0))
 (global (export "state_bytes") i32 (i32.const ${STATE_BYTES}))
 (global (export "input_at") i32 (i32.const ${INPUT_AT}))
 (global (export "input_bytes") i32 (i32.const ${INPUT_BYTES}))
 (func $blocks (param $p i32) (param $n i32) ${locals} ${spec.extraLocals}
  ${hs.map((h, i) => `(local.set $${h} (${type}.load ${wordAt(i)}))`).join("\n  ")}
  (loop $next
   ${spec.body.join("\n   ")}
   (local.set $p (i32.add ${get("p")} (i32.const ${blockBytes})))
   (br_if $next (local.tee $n (i32.sub ${get("n")} (i32.const 1)))))
  ${hs.map((h, i) => `(${type}.store ${wordAt(i)} ${get(h)})`).join("\n  ")})
 (func (export "init")
  ${spec.initial.map((v, i) => `(${type}.store ${wordAt(i)} ${v})`).join("\n  ")}
  (i64.store offset=${COUNT} (i32.const 0) (i64.const 0))
  (i64.store offset=${PENDING} (i32.const 0) (i64.const 0)))
 (func (export "update") (param $length i32) (local $p i32) (local $end i32) (local $pending i32) (local $take i32)
  (if (i32.gt_u ${get("length")} (i32.const ${INPUT_BYTES})) (then unreachable))
  (i64.store offset=${COUNT} (i32.const 0)
   (i64.add (i64.load offset=${COUNT} (i32.const 0)) (i64.extend_i32_u ${get("length")})))
  (local.set $p (i32.const ${INPUT_AT}))
  (local.set $end (i32.add (i32.const ${INPUT_AT}) ${get("length")}))
  (local.set $pending (i32.load offset=${PENDING} (i32.const 0)))
  (if ${get("pending")} (then
   (local.set $take (i32.sub (i32.const ${blockBytes}) ${get("pending")}))
   (if (i32.lt_u ${get("length")} ${get("take")}) (then (local.set $take ${get("length")})))
   (memory.copy (i32.add (i32.const ${BLOCK}) ${get("pending")}) ${get("p")} ${get("take")})
   (local.set $pending (i32.add ${get("pending")} ${get("take")}))
   (local.set $p (i32.add ${get("p")} ${get("take")}))
   (if (i32.eq ${get("pending")} (i32.const ${blockBytes})) (then
    (call $blocks (i32.const ${BLOCK}) (i32.const 1))
    (local.set $pending (i32.const 0))))))
  (local.set $take (i32.div_u (i32.sub ${get("end")} ${get("p")}) (i32.const ${blockBytes})))
  (if ${get("take")} (then
   (call $blocks ${get("p")} ${get("take")})
   (local.set $p (i32.add ${get("p")} (i32.mul ${get("take")} (i32.const ${blockBytes}))))))
  (if (i32.lt_u ${get("p")} ${get("end")}) (then
   (memory.copy (i32.add (i32.const ${BLOCK}) ${get("pending")}) ${get("p")} (i32.sub ${get("end")} ${get("p")}))
   (local.set $pending (i32.add ${get("pending")} (i32.sub ${get("end")} ${get("p")})))))
  (i32.store offset=${PENDING} (i32.const 0) ${get("pending")}))
 (func (export "finish") (local $pending i32) (local $bytes i64)
  (local.set $pending (i32.load offset=${PENDING} (i32.const 0)))
  (i32.store8 offset=${BLOCK} ${get("pending")} (i32.const 0x80))
  (local.set $pending (i32.add ${get("pending")} (i32.const 1)))
  (if (i32.gt_u ${get("pending")} (i32.const ${lastField})) (then
   (memory.fill (i32.add (i32.const ${BLOCK}) ${get("pending")}) (i32.const 0) (i32.sub (i32.const ${blockBytes}) ${get("pending")}))
   (call $blocks (i32.const ${BLOCK}) (i32.const 1))
   (local.set $pending (i32.const 0))))
  (memory.fill (i32.add (i32.const ${BLOCK}) ${get("pending")}) (i32.const 0) (i32.sub (i32.const ${lastField}) ${get("pending")}))
  (local.set $bytes (i64.load offset=${COUNT} (i32.const 0)))
  ${spec.lengthField(BLOCK + lastField, get("bytes")).join("\n  ")}
  (call $blocks (i32.const ${BLOCK}) (i32.const 1))
  ${hs
		.map(
			(_, i) =>
				`(${type}.store offset=${INPUT_AT + i * wordBytes} (i32.const 0) ${spec.digestWord(`(${type}.load ${wordAt(i)})`)})`,
		)
		.join("\n  ")})
)
`;
}

/** {name, bytes, id} of each build; the id (from its bytes) marks the states it saves. */
export async function buildDigestWasm() {
	const assembler = await wabt();
	return [md5Spec(), sha512Spec()].map((spec) => {
		const parsed = assembler.parseWat(`${spec.name}.wat`, moduleText(spec), {
			simd: true,
			bulk_memory: true,
		});
		try {
			parsed.validate();
			const bytes = Buffer.from(parsed.toBinary({}).buffer);
			const id = crypto.createHash("sha256").update(bytes).digest("hex").slice(0, 8);
			return { name: spec.name, bytes, id };
		} finally {
			parsed.destroy();
		}
	});
}

function idsModule(builds) {
	const lines = builds.map((b) => `\t${b.name}: "${b.id}",`);
	return `// Generated by scripts/digest-wasm.mjs; do not edit.
/** The identity of each build: a saved state is only loaded into the build that wrote it. */
export const WASM_IDS = {
${lines.join("\n")}
} as const;
`;
}

export async function expectedFiles() {
	const builds = await buildDigestWasm();
	const files = new Map(builds.map((b) => [path.join(OUT, `${b.name}.wasm`), b.bytes]));
	files.set(path.join(OUT, "ids.ts"), Buffer.from(idsModule(builds)));
	return files;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const check = process.argv.includes("--check");
	const stale = [];
	fs.mkdirSync(OUT, { recursive: true });
	for (const [file, bytes] of await expectedFiles()) {
		const same = fs.existsSync(file) && Buffer.compare(fs.readFileSync(file), bytes) === 0;
		if (same) continue;
		if (check) stale.push(path.relative(root, file));
		else fs.writeFileSync(file, bytes);
	}
	if (stale.length > 0) {
		process.stderr.write(
			`${stale.join(", ")} differ from what scripts/digest-wasm.mjs generates: run it\n`,
		);
		process.exit(1);
	}
	process.stdout.write(
		check ? "digest WebAssembly up to date\n" : `written to ${path.relative(root, OUT)}/\n`,
	);
}
