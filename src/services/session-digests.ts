import { parseIsoTimestamp } from "../domain/time";
import { expectedPartSize } from "../domain/upload-geometry";
import type {
	PartRecord,
	Predecessor,
	SessionRepository,
	UploadSession,
} from "../metadata/session-repository";
import { ResumableDigests, UnusableHashState } from "../storage/resumable-digests";

/**
 * The order in which a session's parts are hashed. MD5 and SHA-512 run over the parts in
 * order, and each stored part keeps the digests' state after it: the request storing part n
 * continues from part n-1's state while the bytes pass, so completion finds nothing (or little)
 * left to hash. A part whose predecessor is being received, or failed and is about to be sent
 * again, or has not reached the worker yet while the parts around it come in order, waits for
 * it, briefly; one whose predecessor is not coming is stored unhashed, and its bytes are hashed
 * after completion.
 *
 * The state passes from part to part through D1 only, once the predecessor is stored and saved.
 * Handing it over in memory the moment the predecessor's last byte was hashed (tried: no gain
 * measurable on the benchmark's machine) let several parts stream into R2 at once, and under
 * `wrangler dev` every 2 GiB session then had connections dropped mid-part (the proxy answered
 * 503 "restarted mid-request"); through D1 alone, every session of the same runs completed.
 */

/** How long a part waits for its predecessor, at most; the client sees no progress meanwhile. */
const WAIT_LIMIT_MS = 30_000;
/** Polls of the predecessor start quick (it is usually finishing) and back off to this. */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 100;
/** A mark older than this belongs to a request that died without clearing it. */
const ARRIVAL_STALE_MS = 10 * 60_000;
/**
 * How long after a part's request failed it is still expected: a client sends a dropped part
 * again within seconds (the CLI's first retries wait about 1 s, then 2 s, then 4 s). Without
 * the wait, the parts in flight behind it would be stored unhashed, and one dropped connection
 * would leave the whole rest of a session to be hashed after completion.
 */
const RESEND_GRACE_MS = 10_000;
/**
 * How long a part waits for a predecessor not seen at all, when the parts around it come in
 * order. Requests opened together (the console opens its parts at once) reach the worker in any
 * order, and a request lost before the worker saw it (measured under `wrangler dev`: the proxy
 * dropped one, and its successor found nothing) is sent again within a second or two. A client
 * sending parts out of order shows it by the parts around, and does not wait.
 */
const ARRIVAL_GRACE_MS = 3_000;

export interface ChainStart {
	digests: ResumableDigests;
	/** The predecessor's token the digests continue from (null for part 1). */
	after: string | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Parts of each image saved (or given up) in this isolate, counted. A part waiting here for its
 * predecessor looks at D1 again within WAKE_CHECK_MS of the predecessor's request saving it,
 * instead of at its next poll, which with polls backed off to LONGEST_POLL_MS can come that much
 * later, the session sending nothing meanwhile. That matters where D1 and R2 are round trips
 * away and a part takes a fraction of a second; under `wrangler dev`, where a 32 MiB part takes
 * about a second, it did not show. Only a signal: the state still comes from D1, and parts on
 * other isolates keep their polls. Each waiter checks the count on its own timers; no request
 * settles a promise another request waits on.
 */
const settledHere = new Map<string, number>();
/** Images remembered at once; the oldest goes first (a waiter missing its signal just polls). */
const SETTLED_KEPT = 512;
const WAKE_CHECK_MS = 10;

/** A part of `imageId` was saved, or its request gave up: its successor here looks again. */
export function partSettled(imageId: string): void {
	const count = (settledHere.get(imageId) ?? 0) + 1;
	settledHere.delete(imageId);
	settledHere.set(imageId, count);
	if (settledHere.size > SETTLED_KEPT) {
		const oldest = settledHere.keys().next();
		if (!oldest.done) settledHere.delete(oldest.value);
	}
}

/** Waits `ms`, or less once a part of `imageId` settles here after `seen` was read. */
async function pause(imageId: string, ms: number, seen: number | undefined): Promise<void> {
	for (let waited = 0; waited < ms; waited += WAKE_CHECK_MS) {
		await sleep(Math.min(WAKE_CHECK_MS, ms - waited));
		if (settledHere.get(imageId) !== seen) return;
	}
}

const millis = (timestamp: string | null) =>
	(timestamp ? parseIsoTimestamp(timestamp) : null)?.getTime() ?? null;

/** Whether the predecessor is on its way: being received, or failed and about to come again. */
function expected(before: Predecessor, now: number): boolean {
	const started = millis(before.arrivingSince);
	if (started === null || now - started >= ARRIVAL_STALE_MS) return false;
	const failed = millis(before.failedAt);
	return failed === null || now - failed < RESEND_GRACE_MS;
}

/**
 * Why a part stops waiting for its predecessor, or null while it waits on; `waited` is how long
 * it will have waited after the next poll.
 */
function whyNotWaiting(before: Predecessor, now: number, waited: number): string | null {
	if (!before.stored && before.arrivingSince === null && before.inOrder) {
		return waited > ARRIVAL_GRACE_MS ? "the part before it did not arrive" : null;
	}
	if (!expected(before, now)) {
		return before.stored
			? "the part before it is stored unhashed"
			: "the part before it is not on its way";
	}
	return waited > WAIT_LIMIT_MS ? "the wait for the part before it ran out" : null;
}

/**
 * The digests part `n` continues, once its predecessor is hashed; null when the part is to be
 * stored unhashed (the predecessor is neither hashed nor on its way, the wait ran out, or the
 * session closed).
 */
export async function chainStart(
	sessions: SessionRepository,
	session: UploadSession,
	n: number,
): Promise<ChainStart | null> {
	if (n === 1) return { digests: ResumableDigests.start(), after: null };
	const startedAt = Date.now();
	let poll = FIRST_POLL_MS;
	for (;;) {
		// Read before the poll: a save landing while D1 answers still ends the pause at once.
		const seen = settledHere.get(session.image_id);
		const before = await sessions.predecessor(session.image_id, n);
		if (!before.open) return null;
		if (before.hashState !== null && before.hashToken !== null) {
			const digests = resumed(before.hashState, (n - 1) * session.part_size);
			return digests && { digests, after: before.hashToken };
		}
		const now = Date.now();
		const outOfChain = whyNotWaiting(before, now, now - startedAt + poll);
		if (outOfChain) {
			// Everything after this part is hashed after completion: worth knowing why.
			console.info(
				JSON.stringify({
					level: "info",
					msg: "session part stored unhashed",
					image_id: session.image_id,
					part_number: n,
					reason: outOfChain,
					waited_ms: now - startedAt,
				}),
			);
			return null;
		}
		await pause(session.image_id, poll, seen);
		poll = Math.min(poll * 2, LONGEST_POLL_MS);
	}
}

/** The digests a saved state continues; null when this build cannot continue it. */
function resumed(state: string, bytes: number): ResumableDigests | null {
	try {
		return ResumableDigests.restore(state, bytes);
	} catch (err) {
		if (err instanceof UnusableHashState) return null;
		throw err;
	}
}

/** The longest run of parts 1..c hashed in order: its last part and the bytes it covers. */
export function chainEnd(
	session: UploadSession,
	parts: PartRecord[],
): { partNumber: number; token: string; bytes: number } | null {
	let last: PartRecord | null = null;
	let bytes = 0;
	for (const [i, part] of parts.entries()) {
		if (part.part_number !== i + 1 || !part.hashed || part.hash_token === null) break;
		last = part;
		bytes += expectedPartSize(session, part.part_number);
	}
	return last?.hash_token ? { partNumber: last.part_number, token: last.hash_token, bytes } : null;
}
