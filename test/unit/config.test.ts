import { loadConfig } from "../../src/config";
import { Refusal } from "../../src/domain/refusal";

const MiB = 1024 * 1024;

function refusalOf(vars: Record<string, string>): Refusal | null {
	try {
		loadConfig(vars);
		return null;
	} catch (err) {
		if (err instanceof Refusal) return err;
		throw err;
	}
}

describe("loadConfig: numeric settings out of their range", () => {
	it("takes the defaults and the ends of each range", () => {
		expect(loadConfig({}).uploadPartBytes).toBe(8 * MiB);
		expect(loadConfig({ UPLOAD_PART_BYTES: String(5 * MiB) }).uploadPartBytes).toBe(5 * MiB);
		expect(loadConfig({ UPLOAD_PART_BYTES: String(32 * MiB) }).uploadPartBytes).toBe(32 * MiB);
		expect(loadConfig({ MAX_REQUEST_BYTES: "0" }).maxRequestBytes).toBe(0);
		expect(loadConfig({ USER_STORAGE_QUOTA: "0" }).storageQuota).toBe(0);
		expect(loadConfig({ KEYSTONE_CACHE_SECONDS: "0" }).keystoneCacheSeconds).toBe(0);
		// Negative quotas mean unlimited (Glance's convention): not out of range.
		expect(loadConfig({ IMAGE_PROPERTY_QUOTA: "-1" }).propertyQuota).toBe(-1);
		expect(loadConfig({ IMAGE_MEMBER_QUOTA: "-1" }).memberQuota).toBe(-1);
		// Session parts below R2's minimum are raised by the part-size rule, so they are accepted.
		expect(loadConfig({ SESSION_PART_BYTES: String(MiB) }).sessionPartBytes).toBe(MiB);
	});

	it.each([
		// Below R2's smallest part every body of unknown length failed in the store (a 503).
		["UPLOAD_PART_BYTES", String(4 * MiB), "at least 5242880"],
		// Two parts are held in memory: more would crowd the isolate's 128 MB.
		["UPLOAD_PART_BYTES", String(33 * MiB), "at most 33554432"],
		["SESSION_PART_BYTES", String(6 * 1024 * MiB), "at most 5368709120"],
		["IMAGE_SIZE_CAP", "0", "at least 1"],
		["MAX_REQUEST_BYTES", "-1", "at least 0"],
		["USER_STORAGE_QUOTA", "-5", "at least 0"],
		["KEYSTONE_CACHE_SECONDS", "-1", "at least 0"],
		// Zero or less would have the sweeper kill every open session or saving image at once.
		["UPLOAD_SESSION_TTL_SECONDS", "0", "at least 1"],
		["STALE_UPLOAD_SECONDS", "-60", "at least 1"],
		["DOWNLOAD_LINK_SECONDS", "0", "at least 1"],
	])("refuses %s=%s as a misconfiguration naming it", (name, value, bound) => {
		const refusal = refusalOf({ [name]: value });
		expect(refusal?.kind).toBe("misconfigured");
		expect(refusal?.message).toBe(
			`Server misconfigured: ${name} must be ${bound}, got '${value}'.`,
		);
	});
});
