import { WASM_IDS } from "./wasm/ids";
import md5Wasm from "./wasm/md5.wasm";
import sha512Wasm from "./wasm/sha512.wasm";

/**
 * MD5 and SHA-512 whose running state can be saved and restored, so one image's digests can
 * be advanced part by part across requests. workerd's DigestStream cannot be checkpointed;
 * these are hash-wasm's WebAssembly builds, imported as modules (workerd refuses to compile
 * WebAssembly from bytes at run time) and instantiated per hasher, so no state is shared.
 */

/** What hash-wasm's builds export (its WASMInterface relies on the same). */
interface HashExports {
	memory: WebAssembly.Memory;
	Hash_GetBuffer(): number;
	Hash_Init(bits: number): void;
	Hash_Update(length: number): void;
	Hash_Final(padding: number): void;
	Hash_GetState(): number;
	/** The address of a u32 holding the state's length. */
	STATE_SIZE: WebAssembly.Global;
}

/** The input buffer each build has: bytes are copied in at most this much at a time. */
const HEAP_BYTES = 16 * 1024;

/** A saved state that this build cannot continue (another hash-wasm build, or damaged). */
export class UnusableHashState extends Error {
	constructor(reason: string) {
		super(`the saved hash state cannot be continued: ${reason}`);
		this.name = "UnusableHashState";
	}
}

class WasmHash {
	private readonly exports: HashExports;
	private readonly stateLength: number;

	constructor(
		module: WebAssembly.Module,
		private readonly initBits: number,
		private readonly digestBytes: number,
	) {
		const instance = new WebAssembly.Instance(module, {});
		this.exports = instance.exports as unknown as HashExports;
		const view = new DataView(this.exports.memory.buffer);
		this.stateLength = view.getUint32(this.exports.STATE_SIZE.value as number, true);
		this.exports.Hash_Init(this.initBits);
	}

	get savedLength(): number {
		return this.stateLength;
	}

	private input(): Uint8Array {
		return new Uint8Array(this.exports.memory.buffer, this.exports.Hash_GetBuffer(), HEAP_BYTES);
	}

	update(chunk: Uint8Array): void {
		const input = this.input();
		for (let offset = 0; offset < chunk.byteLength; offset += HEAP_BYTES) {
			const piece = chunk.subarray(offset, offset + HEAP_BYTES);
			input.set(piece);
			this.exports.Hash_Update(piece.byteLength);
		}
	}

	save(): Uint8Array {
		const at = this.exports.Hash_GetState();
		return new Uint8Array(this.exports.memory.buffer, at, this.stateLength).slice();
	}

	load(state: Uint8Array): void {
		const at = this.exports.Hash_GetState();
		new Uint8Array(this.exports.memory.buffer, at, this.stateLength).set(state);
	}

	digest(): string {
		this.exports.Hash_Final(0);
		const out = this.input().subarray(0, this.digestBytes);
		let hex = "";
		for (const byte of out) hex += byte.toString(16).padStart(2, "0");
		return hex;
	}
}

/** Identity of the pair of builds, written before every saved state. */
const STATE_HEADER = new TextEncoder().encode(`${WASM_IDS.md5}${WASM_IDS.sha512}`);

/**
 * MD5 and SHA-512 of a byte sequence fed in order, with the count of bytes fed. `save()` gives
 * an opaque snapshot (about 500 characters of base64) that `ResumableDigests.restore` continues.
 */
export class ResumableDigests {
	private readonly md5 = new WasmHash(md5Wasm, 0, 16);
	private readonly sha512 = new WasmHash(sha512Wasm, 512, 64);
	private finished = false;

	private constructor(private fed: number) {}

	/** Digests of nothing yet. */
	static start(): ResumableDigests {
		return new ResumableDigests(0);
	}

	/** Continues a snapshot taken after `bytes` bytes; UnusableHashState if it does not fit. */
	static restore(saved: string, bytes: number): ResumableDigests {
		const digests = new ResumableDigests(bytes);
		const state = fromBase64(saved);
		const header = STATE_HEADER.byteLength;
		const md5Length = digests.md5.savedLength;
		const expected = header + md5Length + digests.sha512.savedLength;
		if (state.byteLength !== expected) {
			throw new UnusableHashState(`${state.byteLength} bytes, not ${expected}`);
		}
		for (let i = 0; i < header; i++) {
			if (state[i] !== STATE_HEADER[i]) throw new UnusableHashState("written by another build");
		}
		digests.md5.load(state.subarray(header, header + md5Length));
		digests.sha512.load(state.subarray(header + md5Length));
		return digests;
	}

	/** Bytes fed so far, from the very start of the sequence. */
	get bytes(): number {
		return this.fed;
	}

	update(chunk: Uint8Array): void {
		if (this.finished) throw new Error("digests already finished");
		this.md5.update(chunk);
		this.sha512.update(chunk);
		this.fed += chunk.byteLength;
	}

	save(): string {
		if (this.finished) throw new Error("digests already finished");
		const md5 = this.md5.save();
		const sha512 = this.sha512.save();
		const out = new Uint8Array(STATE_HEADER.byteLength + md5.byteLength + sha512.byteLength);
		out.set(STATE_HEADER, 0);
		out.set(md5, STATE_HEADER.byteLength);
		out.set(sha512, STATE_HEADER.byteLength + md5.byteLength);
		return toBase64(out);
	}

	/** Hex MD5 and SHA-512 of everything fed; the digests take no more bytes after this. */
	finish(): { md5: string; sha512: string } {
		this.finished = true;
		return { md5: this.md5.digest(), sha512: this.sha512.digest() };
	}
}

function toBase64(bytes: Uint8Array): string {
	let binary = "";
	for (const byte of bytes) binary += String.fromCharCode(byte);
	return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
	let binary: string;
	try {
		binary = atob(text);
	} catch {
		throw new UnusableHashState("not base64");
	}
	const out = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
	return out;
}
