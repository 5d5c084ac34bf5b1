const ISO_8601 =
	/^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses the ISO-8601 forms Glance accepted for timestamps and `changes-since`
 * (`2012-01-01`, `20120101`, `2012-01-01T10:00:00.5+02:00`, ...). Returns null if it is not one,
 * or if the year is before 1900 (Glance refused those).
 */
export function parseIsoTimestamp(text: string): Date | null {
	const m = ISO_8601.exec(text.trim());
	if (!m) return null;
	const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "0", zone] = m;
	const year = Number(y);
	if (year < 1900) return null;
	const ms = Number(`0.${frac}`) * 1000;
	let utc = Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
	const date = new Date(utc);
	// Date.UTC rolls 2012-02-31 over to March; Glance refused such dates.
	if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d)) return null;
	if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return null;
	if (zone && zone.toUpperCase() !== "Z") {
		const sign = zone.startsWith("-") ? -1 : 1;
		const digits = zone.slice(1).replace(":", "");
		const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
		utc -= sign * offset * 60_000;
	}
	return new Date(utc);
}
