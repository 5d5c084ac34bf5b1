import { parseIsoTimestamp } from "../domain/time";
import { expectedPartSize } from "../domain/upload-geometry";
import type { PartRecord, SessionRepository, UploadSession } from "../metadata/session-repository";
import { ResumableDigests, UnusableHashState } from "../storage/resumable-digests";

/**
 * The order in which a session's parts are hashed. MD5 and SHA-512 run over the parts in
 * order, and each stored part keeps the digests' state after it: the request storing part n
 * continues from part n-1's state while the bytes pass, so completion finds nothing (or little)
 * left to hash. A part whose predecessor is being received waits for it, briefly; one whose
 * predecessor is not coming is stored unhashed, and its bytes are hashed after completion.
 */

/** How long a part waits for its predecessor, at most; the client sees no progress meanwhile. */
const WAIT_LIMIT_MS = 30_000;
/** Polls of the predecessor start quick (it is usually finishing) and back off to this. */
const FIRST_POLL_MS = 5;
const LONGEST_POLL_MS = 100;
/** A mark older than this belongs to a request that died without clearing it. */
const ARRIVAL_STALE_MS = 10 * 60_000;

export interface ChainStart {
	digests: ResumableDigests;
	/** The predecessor's token the digests continue from (null for part 1). */
	after: string | null;
	/**
	 * Set when the digests were handed over by a predecessor this isolate is still storing: its
	 * save, which this part's must follow (a part saved first would leave the chain when its
	 * predecessor's row lands).
	 */
	predecessorSaved?: Promise<boolean>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`'s value, or undefined once `ms` have passed without one. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
	let timer: ReturnType<typeof setTimeout> | null = null;
	const timeout = new Promise<undefined>((resolve) => {
		timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
	let resolve: (value: T) => void = () => {};
	const promise = new Promise<T>((done) => {
		resolve = done;
	});
	return { promise, resolve };
}

/**
 * Parts this isolate is storing, by image and part number. The next part usually reaches the
 * same isolate while its predecessor is finishing (the CLI sends part n+1 once part n's bytes
 * are out), and through D1 it would see the predecessor's digests only after the store has
 * taken the part and the row is saved, then at the next poll: a pause between every two parts
 * in which the client can send nothing. Handed over here, the digests move on the moment the
 * predecessor's last byte is hashed. D1 stays the judge: the successor's state counts only if
 * the predecessor is saved with the token it was handed over with (savePart's guard).
 */
const partsInFlight = new Map<string, PartInFlight>();
const inFlightKey = (imageId: string, n: number) => `${imageId}/${n}`;

/** One request storing one part; settle it whatever happens. */
export class PartInFlight {
	/** The part's hash token, known before it is saved so a successor can continue it. */
	readonly token = crypto.randomUUID();
	private readonly hashedState = deferred<string | null>();
	private readonly savedOutcome = deferred<boolean>();

	private constructor(private readonly key: string) {}

	/** Registers the request storing part `n` (a newer request for the part replaces it). */
	static start(imageId: string, n: number): PartInFlight {
		const part = new PartInFlight(inFlightKey(imageId, n));
		partsInFlight.set(part.key, part);
		return part;
	}

	/** Every byte of the part is hashed; `state` continues after them (null: not hashed). */
	hashed(state: string | null): void {
		this.hashedState.resolve(state);
	}

	/** The request is over: the part was saved, or not. */
	settle(saved: boolean): void {
		this.hashedState.resolve(null);
		this.savedOutcome.resolve(saved);
		if (partsInFlight.get(this.key) === this) partsInFlight.delete(this.key);
	}

	get state(): Promise<string | null> {
		return this.hashedState.promise;
	}

	get saved(): Promise<boolean> {
		return this.savedOutcome.promise;
	}
}

function arriving(since: string | null, now: number): boolean {
	const started = since ? parseIsoTimestamp(since) : null;
	return started !== null && now - started.getTime() < ARRIVAL_STALE_MS;
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
	const local = partsInFlight.get(inFlightKey(session.image_id, n - 1));
	if (local) {
		const state = await within(local.state, WAIT_LIMIT_MS);
		if (state === undefined) return null;
		if (state !== null) {
			const after = local.token;
			const handedOver = resumed(state, (n - 1) * session.part_size);
			return handedOver && { digests: handedOver, after, predecessorSaved: local.saved };
		}
		// Not hashed, or the request failed: what D1 holds decides.
	}
	let poll = FIRST_POLL_MS;
	for (;;) {
		const before = await sessions.predecessor(session.image_id, n);
		if (!before.open) return null;
		if (before.hashState !== null && before.hashToken !== null) {
			const digests = resumed(before.hashState, (n - 1) * session.part_size);
			return digests && { digests, after: before.hashToken };
		}
		const now = Date.now();
		if (!arriving(before.arrivingSince, now)) return null;
		if (now - startedAt + poll > WAIT_LIMIT_MS) return null;
		await sleep(poll);
		poll = Math.min(poll * 2, LONGEST_POLL_MS);
	}
}

/** Waits, within the same limit, for a handed-over predecessor to be saved before this part is. */
export async function predecessorSettled(chain: ChainStart | null): Promise<void> {
	if (chain?.predecessorSaved) await within(chain.predecessorSaved, WAIT_LIMIT_MS);
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
