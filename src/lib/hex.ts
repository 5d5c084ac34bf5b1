/** Lower-case hex of a digest, as md5sum and sha512sum print it. */
export function toHex(buffer: ArrayBuffer): string {
	let out = "";
	for (const byte of new Uint8Array(buffer)) out += byte.toString(16).padStart(2, "0");
	return out;
}
