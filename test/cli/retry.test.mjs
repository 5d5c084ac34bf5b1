// Unit tests of the CLI's one retry loop (cli/retry.mjs) and of the options the HTTP code feeds
// it (cli/http.mjs). Sleep and random are injected, so nothing waits and delays are exact.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AttemptFailure, noteLimiter, retrying } from "../../cli/http.mjs";
import { backoffDelay, withRetries } from "../../cli/retry.mjs";

class Flaky extends Error {}

/** Options recording every wait and retry in `log`; random() = 1 makes delays the ceiling. */
function recorder(options) {
	const log = [];
	return {
		log,
		options: {
			retryable: (err) => err instanceof Flaky,
			onRetry: ({ error, retry, delayMs }) =>
				log.push(`retry ${retry} ${delayMs} ${error.message}`),
			sleep: async (ms) => log.push(`sleep ${ms}`),
			random: () => 1,
			...options,
		},
	};
}

/** An attempt function failing with the given errors in turn, then returning "done". */
function failing(...errors) {
	const calls = [];
	const attempt = async (n) => {
		calls.push(n);
		if (errors.length > 0) throw errors.shift();
		return "done";
	};
	return { attempt, calls };
}

describe("withRetries", () => {
	test("a first success is returned without waiting", async () => {
		const { log, options } = recorder({ retries: 3 });
		const { attempt, calls } = failing();
		assert.equal(await withRetries(attempt, options), "done");
		assert.deepEqual(calls, [0]);
		assert.deepEqual(log, []);
	});

	test("retryable failures are retried with exponential backoff, told before each wait", async () => {
		const { log, options } = recorder({ retries: 3 });
		const { attempt, calls } = failing(new Flaky("a"), new Flaky("b"), new Flaky("c"));
		assert.equal(await withRetries(attempt, options), "done");
		assert.deepEqual(calls, [0, 1, 2, 3]);
		assert.deepEqual(log, [
			"retry 1 1000 a",
			"sleep 1000",
			"retry 2 2000 b",
			"sleep 2000",
			"retry 3 4000 c",
			"sleep 4000",
		]);
	});

	test("jitter: half of each delay is fixed, half random", async () => {
		const { log, options } = recorder({ retries: 2, random: () => 0 });
		await withRetries(failing(new Flaky("a"), new Flaky("b")).attempt, options);
		assert.deepEqual(
			log.filter((line) => line.startsWith("sleep")),
			["sleep 500", "sleep 1000"],
		);
	});

	test("after `retries` retries the last failure is thrown as it is", async () => {
		const { log, options } = recorder({ retries: 2 });
		const last = new Flaky("third");
		const { attempt, calls } = failing(new Flaky("first"), new Flaky("second"), last);
		await assert.rejects(withRetries(attempt, options), (err) => err === last);
		assert.deepEqual(calls, [0, 1, 2]);
		assert.equal(log.filter((line) => line.startsWith("sleep")).length, 2);
	});

	test("retryForMs: an outage is retried until the next wait would pass the budget", async () => {
		let clock = 0;
		const { log, options } = recorder({
			retries: 1000,
			retryForMs: 10_000,
			now: () => clock,
			random: () => 1,
		});
		const sleep = options.sleep;
		options.sleep = async (ms) => {
			clock += ms;
			await sleep(ms);
		};
		const failures = Array.from({ length: 20 }, (_, i) => new Flaky(`f${i}`));
		await assert.rejects(withRetries(failing(...failures).attempt, options), Flaky);
		// 1 + 2 + 4 = 7 s waited; the next wait (8 s) would end past 10 s.
		assert.deepEqual(
			log.filter((line) => line.startsWith("sleep")),
			["sleep 1000", "sleep 2000", "sleep 4000"],
		);
	});

	test("over minutes: the default budget of 300 s allows waits up to 30 s each", () => {
		let total = 0;
		let n = 0;
		while (total + backoffDelay(n, null, () => 1) <= 300_000)
			total += backoffDelay(n++, null, () => 1);
		assert.ok(n >= 10 && n <= 16, `${n} retries`);
		assert.equal(
			backoffDelay(30, null, () => 1),
			30_000,
		);
	});

	test("no retries: one attempt", async () => {
		const { log, options } = recorder({ retries: 0 });
		await assert.rejects(withRetries(failing(new Flaky("x")).attempt, options), Flaky);
		assert.deepEqual(log, []);
	});

	test("a failure that is not retryable is thrown at once", async () => {
		const { log, options } = recorder({ retries: 5 });
		const fatal = new Error("fatal");
		const { attempt, calls } = failing(new Flaky("a"), fatal);
		await assert.rejects(withRetries(attempt, options), (err) => err === fatal);
		assert.deepEqual(calls, [0, 1]);
		assert.deepEqual(log, ["retry 1 1000 a", "sleep 1000"]);
	});

	test("the failure's Retry-After replaces the backoff, capped at a minute", async () => {
		const { log, options } = recorder({
			retries: 2,
			retryAfter: (err) => (err.message === "slow" ? "3" : err.message === "huge" ? "9999" : null),
		});
		await withRetries(failing(new Flaky("slow"), new Flaky("huge")).attempt, options);
		assert.deepEqual(
			log.filter((line) => line.startsWith("sleep")),
			["sleep 3000", "sleep 60000"],
		);
	});

	test("a failure that made progress earns a fresh budget and restarts the backoff", async () => {
		const { log, options } = recorder({
			retries: 2,
			progressed: (err) => err.message === "progress",
		});
		const { attempt, calls } = failing(
			new Flaky("stuck"),
			new Flaky("stuck"),
			new Flaky("progress"),
			new Flaky("stuck"),
		);
		assert.equal(await withRetries(attempt, options), "done");
		assert.deepEqual(calls, [0, 1, 2, 3, 4]);
		assert.deepEqual(
			log.filter((line) => line.startsWith("retry")),
			["retry 1 1000 stuck", "retry 2 2000 stuck", "retry 1 1000 progress", "retry 2 2000 stuck"],
		);
	});

	test("the signal reaches the wait; the default wait stops when it is aborted", async () => {
		const signal = AbortSignal.abort();
		const seen = [];
		const { options } = recorder({
			retries: 1,
			signal,
			sleep: async (_ms, s) => seen.push(s),
		});
		await withRetries(failing(new Flaky("a")).attempt, options);
		assert.deepEqual(seen, [signal]);

		const { sleep: _injected, ...real } = options;
		await assert.rejects(
			withRetries(failing(new Flaky("a")).attempt, real),
			(err) => err.name === "AbortError",
		);
	});
});

describe("retrying (the HTTP code's retry options)", () => {
	function fakeUi() {
		const notes = [];
		return { notes, note: (message) => notes.push(message) };
	}

	test("retries AttemptFailures only, noting each retry", async () => {
		const ui = fakeUi();
		const options = { ...retrying(ui, "reading x", 2), sleep: async () => {}, random: () => 1 };
		const { attempt } = failing(new AttemptFailure("timed out"));
		assert.equal(await withRetries(attempt, options), "done");
		assert.deepEqual(ui.notes, ["reading x: timed out; retrying in 1.0 s"]);
		const fatal = new Error("not a retry");
		await assert.rejects(withRetries(failing(fatal).attempt, options), (err) => err === fatal);
	});

	test("parallel requests failing together print one note, not one each", async () => {
		const ui = fakeUi();
		const limiter = noteLimiter(() => 0);
		const options = (what) => ({
			...retrying(ui, what, 2, { limiter }),
			sleep: async () => {},
			random: () => 1,
		});
		await Promise.all(
			[1, 2, 3, 4].map((n) =>
				withRetries(failing(new AttemptFailure("ECONNREFUSED")).attempt, options(`part ${n}`)),
			),
		);
		assert.deepEqual(ui.notes, ["part 1: ECONNREFUSED; retrying in 1.0 s"]);
	});

	test("the failure given up on carries the number of attempts", async () => {
		const options = { ...retrying(fakeUi(), "x", 2), sleep: async () => {}, random: () => 1 };
		const last = new AttemptFailure("c");
		const { attempt } = failing(new AttemptFailure("a"), new AttemptFailure("b"), last);
		await assert.rejects(withRetries(attempt, options), (err) => err === last);
		assert.equal(last.attempts, 3);
	});

	test("a retried answer is drained and its Retry-After honoured", async () => {
		const ui = fakeUi();
		const res = new Response("busy", { status: 503, headers: { "Retry-After": "2" } });
		const options = {
			...retrying(ui, "downloading y", 1, { verb: "resuming" }),
			sleep: async () => {},
		};
		await withRetries(failing(new AttemptFailure("HTTP 503", { res })).attempt, options);
		assert.deepEqual(ui.notes, ["downloading y: HTTP 503; resuming in 2.0 s"]);
		assert.equal(res.bodyUsed, true, "drained, so that the connection can be reused");
	});
});
