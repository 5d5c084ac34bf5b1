/** One cheap round trip to a binding; resolves when it answered, whatever the answer. */
export type HealthProbe = () => Promise<unknown>;
export interface HealthProbes {
	d1: HealthProbe;
	r2: HealthProbe;
}

export interface CheckResult {
	status: "ok" | "fail";
	latency_ms: number;
	error?: string;
}

const PROBE_TIMEOUT_MS = 2_000;

async function check(probe: HealthProbe): Promise<CheckResult> {
	const started = Date.now();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(
			() => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)),
			PROBE_TIMEOUT_MS,
		);
	});
	try {
		await Promise.race([probe(), timeout]);
		return { status: "ok", latency_ms: Date.now() - started };
	} catch (err) {
		const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
		return { status: "fail", latency_ms: Date.now() - started, error: error.slice(0, 300) };
	} finally {
		if (timer !== undefined) clearTimeout(timer);
	}
}

/** Both probes at once, each bounded by its own timeout. */
export async function checkHealth(
	probes: HealthProbes,
): Promise<Record<keyof HealthProbes, CheckResult>> {
	const [d1, r2] = await Promise.all([check(probes.d1), check(probes.r2)]);
	return { d1, r2 };
}
