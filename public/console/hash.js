// Incremental MD5 and SHA-512: the server checks both over the whole file, and SubtleCrypto can
// only hash a buffer held in memory at once, which a disk image is too large for.

const hex32 = (n) => (n >>> 0).toString(16).padStart(8, "0");

// MD5's constants are defined as floor(|sin(i + 1)| * 2^32); doubles compute them exactly.
const MD5_K = Int32Array.from({ length: 64 }, (_, i) =>
	Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32),
);
const MD5_S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

export class Md5 {
	constructor() {
		this.h = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
		this.buffer = new Uint8Array(64);
		this.buffered = 0;
		this.length = 0;
		this.m = new Int32Array(16);
	}

	block(bytes, at) {
		const m = this.m;
		for (let i = 0; i < 16; i++) {
			const p = at + i * 4;
			m[i] = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24);
		}
		const h = this.h;
		let a = h[0];
		let b = h[1];
		let c = h[2];
		let d = h[3];
		for (let i = 0; i < 64; i++) {
			let f;
			let g;
			if (i < 16) {
				f = (b & c) | (~b & d);
				g = i;
			} else if (i < 32) {
				f = (d & b) | (~d & c);
				g = (5 * i + 1) & 15;
			} else if (i < 48) {
				f = b ^ c ^ d;
				g = (3 * i + 5) & 15;
			} else {
				f = c ^ (b | ~d);
				g = (7 * i) & 15;
			}
			f = (f + a + MD5_K[i] + m[g]) | 0;
			a = d;
			d = c;
			c = b;
			const s = MD5_S[(i >> 4) * 4 + (i & 3)];
			b = (b + ((f << s) | (f >>> (32 - s)))) | 0;
		}
		h[0] += a;
		h[1] += b;
		h[2] += c;
		h[3] += d;
	}

	update(bytes) {
		this.length += bytes.length;
		let i = 0;
		if (this.buffered > 0) {
			const take = Math.min(64 - this.buffered, bytes.length);
			this.buffer.set(bytes.subarray(0, take), this.buffered);
			this.buffered += take;
			i = take;
			if (this.buffered < 64) return this;
			this.block(this.buffer, 0);
			this.buffered = 0;
		}
		for (; i + 64 <= bytes.length; i += 64) this.block(bytes, i);
		this.buffer.set(bytes.subarray(i), 0);
		this.buffered = bytes.length - i;
		return this;
	}

	hex() {
		const bits = this.length * 8;
		const pad = new Uint8Array((this.buffered < 56 ? 56 : 120) - this.buffered + 8);
		pad[0] = 0x80;
		const n = pad.length - 8;
		const lo = bits >>> 0;
		const hi = Math.floor(bits / 2 ** 32) >>> 0;
		for (let i = 0; i < 4; i++) {
			pad[n + i] = (lo >>> (8 * i)) & 0xff;
			pad[n + 4 + i] = (hi >>> (8 * i)) & 0xff;
		}
		this.update(pad);
		let out = "";
		for (const word of this.h) {
			for (let i = 0; i < 4; i++) out += ((word >>> (8 * i)) & 0xff).toString(16).padStart(2, "0");
		}
		return out;
	}
}

// SHA-512's constants are the first 64 bits of the fractional parts of the square (initial
// state) and cube (round constants) roots of the first primes: computed with BigInt once,
// rather than copied as 88 opaque numbers.
function primes(count) {
	const found = [];
	for (let n = 2; found.length < count; n++) if (found.every((p) => n % p)) found.push(n);
	return found;
}

function integerRoot(value, degree) {
	let x = 1n << BigInt(Math.ceil(value.toString(2).length / Number(degree)));
	for (;;) {
		const next = ((degree - 1n) * x + value / x ** (degree - 1n)) / degree;
		if (next >= x) return x;
		x = next;
	}
}

function fractionWords(root, count) {
	const words = new Int32Array(count * 2);
	primes(count).forEach((p, i) => {
		const scaled =
			integerRoot(BigInt(p) << (64n * BigInt(root)), BigInt(root)) & ((1n << 64n) - 1n);
		words[i * 2] = Number(scaled >> 32n) | 0;
		words[i * 2 + 1] = Number(scaled & 0xffffffffn) | 0;
	});
	return words;
}

const SHA512_K = fractionWords(3, 80);
const SHA512_H = fractionWords(2, 8);
const TWO32 = 4294967296;

export class Sha512 {
	constructor() {
		this.h = Int32Array.from(SHA512_H);
		this.wh = new Int32Array(80);
		this.wl = new Int32Array(80);
		this.buffer = new Uint8Array(128);
		this.buffered = 0;
		this.length = 0;
	}

	block(bytes, at) {
		const wh = this.wh;
		const wl = this.wl;
		for (let i = 0; i < 16; i++) {
			const p = at + i * 8;
			wh[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
			wl[i] = (bytes[p + 4] << 24) | (bytes[p + 5] << 16) | (bytes[p + 6] << 8) | bytes[p + 7];
		}
		for (let i = 16; i < 80; i++) {
			let xh = wh[i - 15];
			let xl = wl[i - 15];
			const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
			const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
			xh = wh[i - 2];
			xl = wl[i - 2];
			const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
			const s1l =
				((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
			const lo = (s0l >>> 0) + (s1l >>> 0) + (wl[i - 7] >>> 0) + (wl[i - 16] >>> 0);
			wh[i] = s0h + s1h + wh[i - 7] + wh[i - 16] + Math.floor(lo / TWO32);
			wl[i] = lo;
		}
		const h = this.h;
		let ah = h[0],
			al = h[1],
			bh = h[2],
			bl = h[3],
			ch = h[4],
			cl = h[5],
			dh = h[6],
			dl = h[7];
		let eh = h[8],
			el = h[9],
			fh = h[10],
			fl = h[11],
			gh = h[12],
			gl = h[13],
			hh = h[14],
			hl = h[15];
		for (let i = 0; i < 80; i++) {
			const S1h =
				((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
			const S1l =
				((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
			const chh = (eh & fh) ^ (~eh & gh);
			const chl = (el & fl) ^ (~el & gl);
			const t1l =
				(hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (SHA512_K[i * 2 + 1] >>> 0) + (wl[i] >>> 0);
			const t1h = (hh + S1h + chh + SHA512_K[i * 2] + wh[i] + Math.floor(t1l / TWO32)) | 0;
			const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
			const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
			const majh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
			const majl = (al & bl) ^ (al & cl) ^ (bl & cl);
			const t2l = (S0l >>> 0) + (majl >>> 0);
			const t2h = (S0h + majh + Math.floor(t2l / TWO32)) | 0;
			hh = gh;
			hl = gl;
			gh = fh;
			gl = fl;
			fh = eh;
			fl = el;
			const el2 = (dl >>> 0) + (t1l >>> 0);
			eh = (dh + t1h + Math.floor(el2 / TWO32)) | 0;
			el = el2 | 0;
			dh = ch;
			dl = cl;
			ch = bh;
			cl = bl;
			bh = ah;
			bl = al;
			const al2 = (t1l >>> 0) + (t2l >>> 0);
			ah = (t1h + t2h + Math.floor(al2 / TWO32)) | 0;
			al = al2 | 0;
		}
		const add = (i, xh, xl) => {
			const lo = (h[i + 1] >>> 0) + (xl >>> 0);
			h[i] = h[i] + xh + Math.floor(lo / TWO32);
			h[i + 1] = lo;
		};
		add(0, ah, al);
		add(2, bh, bl);
		add(4, ch, cl);
		add(6, dh, dl);
		add(8, eh, el);
		add(10, fh, fl);
		add(12, gh, gl);
		add(14, hh, hl);
	}

	update(bytes) {
		this.length += bytes.length;
		let i = 0;
		if (this.buffered > 0) {
			const take = Math.min(128 - this.buffered, bytes.length);
			this.buffer.set(bytes.subarray(0, take), this.buffered);
			this.buffered += take;
			i = take;
			if (this.buffered < 128) return this;
			this.block(this.buffer, 0);
			this.buffered = 0;
		}
		for (; i + 128 <= bytes.length; i += 128) this.block(bytes, i);
		this.buffer.set(bytes.subarray(i), 0);
		this.buffered = bytes.length - i;
		return this;
	}

	hex() {
		const bits = this.length * 8;
		const pad = new Uint8Array((this.buffered < 112 ? 112 : 240) - this.buffered + 16);
		pad[0] = 0x80;
		const n = pad.length - 4;
		const lo = bits >>> 0;
		const hi = Math.floor(bits / TWO32) >>> 0;
		for (let i = 0; i < 4; i++) {
			pad[n + i] = (lo >>> (24 - 8 * i)) & 0xff;
			pad[n - 4 + i] = (hi >>> (24 - 8 * i)) & 0xff;
		}
		this.update(pad);
		let out = "";
		for (const word of this.h) out += hex32(word);
		return out;
	}
}
