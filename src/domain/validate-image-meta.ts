import { AMAZON_FORMATS, MESSAGES } from "./glance-rules";
import type { ImageMetaInput } from "./image";
import { invalid } from "./refusal";

/** The operator's format lists; the core sees only these, not where they were configured. */
export interface FormatPolicy {
	diskFormats: ReadonlySet<string>;
	containerFormats: ReadonlySet<string>;
}

/**
 * The configurable format rules (contract §6): each given format must be allowed, and the
 * Amazon pairing rule fills in or checks the partner format. Mutates `meta` to add a filled-in
 * partner, as Glance did.
 */
export function applyFormatRules(meta: ImageMetaInput, policy: FormatPolicy): void {
	const disk = meta.disk_format;
	const container = meta.container_format;
	// Sent but empty is null, which no format list holds: Glance refused it as 'None'.
	if (disk === null || (disk !== undefined && !policy.diskFormats.has(disk))) {
		throw invalid(MESSAGES.invalidDiskFormat(disk ?? ""), "disk_format");
	}
	if (container === null || (container !== undefined && !policy.containerFormats.has(container))) {
		throw invalid(MESSAGES.invalidContainerFormat(container ?? ""), "container_format");
	}
	const amazon = (f: string | null | undefined) => f != null && AMAZON_FORMATS.has(f);
	if (!amazon(disk) && !amazon(container)) return;
	if (disk != null && container == null) meta.container_format = disk;
	else if (container != null && disk == null) meta.disk_format = container;
	else if (disk !== container) throw invalid(MESSAGES.amazonMix, "container_format");
}

/** The Amazon rule applied to a merged (request + stored) pair before data is attached. */
export function checkFormatPair(disk: string | null, container: string | null) {
	const amazon = (f: string | null) => f !== null && AMAZON_FORMATS.has(f);
	if ((amazon(disk) || amazon(container)) && disk !== container) {
		throw invalid(MESSAGES.amazonMix, "container_format");
	}
}

/** A declared size above the configured cap is refused up front (contract §7). */
export function checkDeclaredSize(size: number | null | undefined, cap: number, field: string) {
	if (size != null && size > cap) throw invalid(MESSAGES.tooLarge(cap), field);
}

/** Lower-case, dashed form of a UUID, so one id cannot be registered twice in another spelling. */
export function canonicalUuid(id: string): string {
	const hex = id.replaceAll("-", "").toLowerCase();
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
