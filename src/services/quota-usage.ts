import type { Config } from "../config";
import type { Identity } from "../domain/identity";
import type { ImageRepository } from "../metadata/image-repository";

const MiB = 1024 * 1024;

/** One quota as Glance reports it: in its unit (MiB for sizes, -1 when unlimited). */
export interface QuotaEntry {
	limit: number;
	usage: number;
	/** Ours, beside Glance's MiB: the exact bytes. */
	limit_bytes?: number;
	usage_bytes?: number;
}

/**
 * GET /v2/info/usage with Glance's unified-limits names (glance-v2-contract §2.14): stored and
 * staged data in whole MiB (Glance rounds down), image counts. Both sizes count against the one
 * storage quota (USER_STORAGE_QUOTA); there is no count limit.
 */
export async function quotaUsage(deps: {
	images: ImageRepository;
	identity: Identity;
	config: Config;
}): Promise<Record<string, QuotaEntry>> {
	const owner = deps.identity.tenant;
	const used = owner
		? await deps.images.usage(owner)
		: { stored: 0, staged: 0, images: 0, uploading: 0 };
	const quota = deps.config.storageQuota;
	const size = (bytes: number): QuotaEntry => ({
		limit: quota > 0 ? Math.floor(quota / MiB) : -1,
		usage: Math.floor(bytes / MiB),
		limit_bytes: quota > 0 ? quota : -1,
		usage_bytes: bytes,
	});
	return {
		image_size_total: size(used.stored),
		image_stage_total: size(used.staged),
		image_count_total: { limit: -1, usage: used.images },
		image_count_uploading: { limit: -1, usage: used.uploading },
	};
}
