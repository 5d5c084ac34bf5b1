// Hashes a File off the main thread, so the page stays responsive while a large image is read.
import { Md5, Sha512 } from "./hash.js";

const SLICE = 4 * 1024 * 1024;

self.onmessage = async ({ data: file }) => {
	try {
		const md5 = new Md5();
		const sha512 = new Sha512();
		for (let offset = 0; offset < file.size; offset += SLICE) {
			const bytes = new Uint8Array(await file.slice(offset, offset + SLICE).arrayBuffer());
			md5.update(bytes);
			sha512.update(bytes);
			self.postMessage({ hashed: Math.min(offset + SLICE, file.size) });
		}
		self.postMessage({ md5: md5.hex(), sha512: sha512.hex() });
	} catch (err) {
		self.postMessage({ error: String(err?.message ?? err) });
	}
};
