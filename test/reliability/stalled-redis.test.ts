import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";
import { waitFor } from "../support/polling.js";
import { startThrowawayRedis, type ThrowawayRedis } from "../support/throwaway-redis.js";

/**
 * A Redis that accepts connections but does not answer (here: redis-server under SIGSTOP) must cost
 * a request at most one bounded wait, as the README says, not one per Redis command: a request with
 * an API key asks Redis twice (the failed-key budget, then the client's count).
 */
const PER_MINUTE = 50;
const COMMAND_TIMEOUT_MS = 500;
let redis: ThrowawayRedis;
let t: TestApp;

beforeAll(async () => {
  redis = await startThrowawayRedis();
  t = await buildTestApp({ redisUrl: redis.url, rateLimitPerMinute: PER_MINUTE });
});
afterAll(async () => {
  await t?.close();
  await redis?.stop();
});

async function timedList(): Promise<{ ms: number; status: number; remaining: number }> {
  const started = performance.now();
  const response = await request(t.app.server).get("/v1/webhooks").set("authorization", t.auth);
  return {
    ms: performance.now() - started,
    status: response.status,
    remaining: Number(response.headers["x-ratelimit-remaining"]),
  };
}

describe("a stalled Redis", () => {
  it(`costs a request at most one wait of ${COMMAND_TIMEOUT_MS} ms, one after another or all at once`, {
    timeout: 60_000,
  }, async () => {
    expect((await timedList()).remaining, "counted in Redis while it answers").toBe(PER_MINUTE - 1);
    redis.pause();
    try {
      // All at once first: each sends its first command before any has timed out.
      const together = await Promise.all(Array.from({ length: 10 }, () => timedList()));
      for (const answer of together) expect(answer.status).toBe(200);
      const burst = together.map((answer) => answer.ms);
      const oneByOne: number[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await timedList();
        expect(answer.status).toBe(200);
        oneByOne.push(answer.ms);
      }
      console.log(
        `stalled Redis: 10 at once ${Math.min(...burst).toFixed(0)}–${Math.max(...burst).toFixed(0)} ms; ` +
          `then one by one ${oneByOne.map((ms) => ms.toFixed(0)).join(", ")} ms`,
      );
      // One wait, never two: before, each request waited out both of its commands (1.01–1.15 s).
      for (const ms of [...burst, ...oneByOne]) expect(ms).toBeLessThan(2 * COMMAND_TIMEOUT_MS);
      // Once the first timeout has dropped the connection, nobody waits on Redis any more.
      for (const ms of oneByOne) expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS / 2);
    } finally {
      redis.resume();
    }
  });

  it("is counted in again once it answers", { timeout: 30_000 }, async () => {
    await waitFor(async () => {
      const first = await timedList();
      const second = await timedList();
      expect(second.remaining).toBe(first.remaining - 1);
    }, "the count in Redis after the stall");
  });
});
