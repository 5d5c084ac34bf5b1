/** A minimal POSIX ustar writer for OVA tests. */
export interface TarMember {
	name: string;
	data: Uint8Array;
	/** Tar type flag: "0" file (default), "2" symlink, "5" directory, ... */
	type?: string;
	linkName?: string;
}

export function tar(members: TarMember[]): Uint8Array {
	const blocks: Uint8Array[] = [];
	for (const m of members) {
		blocks.push(header(m));
		const padded = new Uint8Array(Math.ceil(m.data.byteLength / 512) * 512);
		padded.set(m.data);
		blocks.push(padded);
	}
	blocks.push(new Uint8Array(1024));
	const out = new Uint8Array(blocks.reduce((n, b) => n + b.byteLength, 0));
	let at = 0;
	for (const b of blocks) {
		out.set(b, at);
		at += b.byteLength;
	}
	return out;
}

function header(m: TarMember): Uint8Array {
	const h = new Uint8Array(512);
	const put = (at: number, text: string) => {
		for (let i = 0; i < text.length; i++) h[at + i] = text.charCodeAt(i);
	};
	const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, "0")}\0`;
	put(0, m.name);
	put(100, "0000644\0");
	put(108, "0000000\0");
	put(116, "0000000\0");
	put(124, octal(m.data.byteLength, 12));
	put(136, octal(0, 12));
	put(148, "        ");
	put(156, m.type ?? "0");
	put(157, m.linkName ?? "");
	put(257, "ustar\0");
	put(263, "00");
	const sum = h.reduce((a, b) => a + b, 0);
	put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
	return h;
}
