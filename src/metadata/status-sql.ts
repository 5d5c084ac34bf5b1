import type { ImageStatus } from "../domain/image";

/**
 * A status set from domain/lifecycle as an SQL list (`'queued', 'saving'`). The values are the
 * table's own constants, never client input, so inlining them keeps statements readable.
 */
export function statusList(statuses: readonly ImageStatus[]): string {
	return statuses.map((s) => `'${s}'`).join(", ");
}
