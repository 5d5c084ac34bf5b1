export const REGISTRATION = {
	name: "cirros",
	disk_format: "qcow2",
	container_format: "bare",
} as const;

/** Glance v1 header form of a registration. */
export function metaHeaders(overrides: Record<string, string> = {}): Record<string, string> {
	return {
		"x-image-meta-name": "cirros",
		"x-image-meta-disk_format": "raw",
		"x-image-meta-container_format": "bare",
		...overrides,
	};
}
