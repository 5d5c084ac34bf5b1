/**
 * A part waiting for its predecessor (services/session-digests.ts) looks at D1 again as soon as
 * a part of its image settles in the same isolate, not at its next poll. The repository here
 * answers "being received" until the test lets the predecessor be saved.
 */

import type {
	Predecessor,
	SessionRepository,
	UploadSession,
} from "../../src/metadata/session-repository";
import { chainStart, partSettled } from "../../src/services/session-digests";
import { ResumableDigests } from "../../src/storage/resumable-digests";

const PART = 4096;

function sessionOf(imageId: string): UploadSession {
	return {
		image_id: imageId,
		upload_id: "upload",
		size: 3 * PART,
		part_size: PART,
		part_count: 3,
		checksum: null,
		os_hash_value: null,
		state: "open",
		created_at: new Date().toISOString(),
		expires_at: new Date(Date.now() + 3_600_000).toISOString(),
	};
}

/**
 * Part 1 of a session is being received; once the polls have backed off (the sixth poll, the
 * pause after it 100 ms), it is saved and `onSaved` runs. Resolves with how long after that
 * save part 2's chain started, and how many polls it took.
 */
async function partTwoAfterPartOneIsSaved(onSaved: (imageId: string) => void) {
	const imageId = crypto.randomUUID();
	const saved = ResumableDigests.start();
	saved.update(new Uint8Array(PART).fill(7));
	const state = saved.save();
	let savedAt: number | null = null;
	let polls = 0;
	const receiving: Predecessor = {
		open: true,
		stored: false,
		hashState: null,
		hashToken: null,
		arrivingSince: new Date().toISOString(),
		failedAt: null,
		inOrder: true,
	};
	const sessions = {
		predecessor: async (): Promise<Predecessor> => {
			polls += 1;
			if (polls === 6) {
				setTimeout(() => {
					savedAt = performance.now();
					onSaved(imageId);
				}, 5);
			}
			return savedAt === null
				? receiving
				: { ...receiving, stored: true, hashState: state, hashToken: "token-1" };
		},
	} as unknown as SessionRepository;
	const chain = await chainStart(sessions, sessionOf(imageId), 2);
	const startedAfter = performance.now() - (savedAt ?? Number.NaN);
	return { chain, startedAfter, polls };
}

describe("a part waiting for its predecessor", () => {
	it("looks again as soon as the predecessor is saved in the same isolate", async () => {
		const { chain, startedAfter, polls } = await partTwoAfterPartOneIsSaved(partSettled);
		expect(chain?.after).toBe("token-1");
		expect(chain?.digests.bytes).toBe(PART);
		// Without the signal the next poll comes ~95 ms after the save.
		expect(startedAfter).toBeLessThan(50);
		expect(polls).toBe(7);
	});

	it("keeps its poll when a part of another image settles", async () => {
		const { chain, startedAfter, polls } = await partTwoAfterPartOneIsSaved(() =>
			partSettled(crypto.randomUUID()),
		);
		expect(chain?.after).toBe("token-1");
		expect(startedAfter).toBeGreaterThan(70);
		expect(polls).toBe(7);
	});
});
