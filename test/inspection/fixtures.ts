import type { ImageWindows } from "../../src/inspection";
import { HEAD_WINDOW, regionsToCapture, TAIL_WINDOW } from "../../src/inspection";

/** The gzipped images in test/fixtures/images (see scripts/make-image-fixtures.sh). */
const FIXTURES = import.meta.glob<string>("../fixtures/images/*.gz", {
	query: "?inline",
	import: "default",
	eager: true,
});

export const FIXTURE_NAMES = Object.keys(FIXTURES)
	.map((path) => path.replace(/^.*\//, "").replace(/\.gz$/, ""))
	.sort();

/** The bytes of one fixture image, e.g. `fixture("qcow2-v3.qcow2")`. */
export async function fixture(name: string): Promise<Uint8Array> {
	const url = FIXTURES[`../fixtures/images/${name}.gz`];
	if (!url) throw new Error(`no fixture ${name}`);
	const gzipped = Uint8Array.from(atob(url.slice(url.indexOf(",") + 1)), (c) => c.charCodeAt(0));
	const stream = new Blob([gzipped]).stream().pipeThrough(new DecompressionStream("gzip"));
	return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The windows an upload of `bytes` would capture, cut directly from the whole image. */
export function windowsOf(bytes: Uint8Array): ImageWindows {
	const head = bytes.subarray(0, Math.min(bytes.byteLength, HEAD_WINDOW));
	return {
		size: bytes.byteLength,
		head,
		tail: bytes.subarray(Math.max(0, bytes.byteLength - TAIL_WINDOW)),
		regions: regionsToCapture(head).map((r) => ({
			offset: r.offset,
			bytes: bytes.subarray(r.offset, Math.min(bytes.byteLength, r.offset + r.length)),
		})),
	};
}
