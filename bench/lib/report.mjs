// Medians, ratios and the printed table.

export function median(values) {
	const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
	if (v.length === 0) return Number.NaN;
	const mid = Math.floor(v.length / 2);
	return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function digits(x) {
	if (!Number.isFinite(x)) return "n/a";
	const abs = Math.abs(x);
	if (abs >= 100) return x.toFixed(0);
	if (abs >= 10) return x.toFixed(1);
	return x.toFixed(2);
}

/** `median (min–max)` of the repeats, so the noise is in the table next to the figure. */
export function cell(values) {
	const v = values.filter((x) => Number.isFinite(x));
	if (v.length === 0) return "n/a";
	const m = digits(median(v));
	if (v.length === 1) return m;
	return `${m} (${digits(Math.min(...v))}–${digits(Math.max(...v))})`;
}

export function ratio(app, base) {
	const a = median(app);
	const b = median(base);
	if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return Number.NaN;
	return a / b;
}

export const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : "n/a");
export const fmtPct = (share) => (share == null ? "n/a" : `${Math.round(share * 100)}%`);
export const mib = (bytes) =>
	Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "n/a";

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function markdownTable(header, rows, align) {
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
	const line = (cells) =>
		`| ${cells
			.map((c, i) =>
				align[i] === "r" ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]),
			)
			.join(" | ")} |`;
	// The rule as the repository's formatter writes it, so a pasted table stays as printed.
	const rule = `| ${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
	return [line(header), rule, ...rows.map(line)].join("\n");
}
