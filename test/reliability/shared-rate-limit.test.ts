import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { createTestClient, createTestDatabase, type TestDatabase } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";
import { waitFor } from "../support/polling.js";
import { startThrowawayRedis, type ThrowawayRedis } from "../support/throwaway-redis.js";

/**
 * Two `npm start` processes on one PostgreSQL and one Redis (REDIS_URL): the rate limits are counted
 * once for both, as one service, and a Redis that goes away fails open as the README says.
 */
const PER_MINUTE = 10;
const AUTH_FAILURES = 4;

let redis: ThrowawayRedis;
let database: TestDatabase;
const replicas: { url: string; server: ReturnType<typeof startServer> }[] = [];
const keys: Record<"limited" | "victim" | "afterOutage", string> = { limited: "", victim: "", afterOutage: "" };

beforeAll(async () => {
  [redis, database] = await Promise.all([startThrowawayRedis(), createTestDatabase()]);
  const db = createDatabaseClient(database.url);
  try {
    for (const name of Object.keys(keys) as (keyof typeof keys)[]) {
      keys[name] = (await createTestClient(db, ["webhooks:manage"], name)).auth;
    }
  } finally {
    await db.$disconnect();
  }
  const servers = [0, 1].map(() =>
    startServer({
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES),
    }),
  );
  for (const server of servers) replicas.push({ server, url: await listeningAddress(server.output, 90_000) });
}, 120_000);

afterAll(async () => {
  for (const { server } of replicas) {
    server.child.kill("SIGTERM");
    await exitCode(server.child);
  }
  await redis?.stop();
  await database?.drop();
});

/** The i-th request goes to replica i mod 2, as a round-robin balancer sends them. */
async function listWebhooks(i: number, authorization: string) {
  const response = await fetch(`${replicas[i % 2]?.url}/v1/webhooks`, { headers: { authorization } });
  return { status: response.status, body: (await response.json()) as { type?: string } };
}

const randomKey = () => `Bearer adk_${randomBytes(32).toString("base64url")}`;

describe("with REDIS_URL, two replicas count as one service", () => {
  it(`allow a client ${PER_MINUTE} requests a minute in all, not ${PER_MINUTE} each`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i < PER_MINUTE + 4; i++) statuses.push((await listWebhooks(i, keys.limited)).status);
    expect(statuses).toEqual([...Array(PER_MINUTE).fill(200), ...Array(4).fill(429)]);
  });

  it(`allow an address ${AUTH_FAILURES} failed keys a minute in all; then a valid key waits on either`, async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= AUTH_FAILURES; i++) statuses.push((await listWebhooks(i, randomKey())).status);
    expect(statuses).toEqual([...Array(AUTH_FAILURES).fill(401), 429]);
    for (const i of [0, 1]) {
      const refused = await listWebhooks(i, keys.victim);
      expect(refused.status).toBe(429);
      expect(refused.body.type).toMatch(/too-many-failed-authentications$/);
    }
  });
});

describe("when Redis goes away", () => {
  it("fails open: every request is answered, uncounted, and each replica logs it once", async () => {
    await redis.stop();
    // The address's failed-key budget and the first client's limit, both spent above, no longer hold.
    expect((await listWebhooks(0, keys.victim)).status).toBe(200);
    expect((await listWebhooks(1, keys.limited)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < PER_MINUTE * 2; i++) statuses.push((await listWebhooks(i, keys.afterOutage)).status);
    expect(statuses).toEqual(Array(PER_MINUTE * 2).fill(200));
    // ioredis notices the closed socket on its own schedule; the warning follows within a reconnect.
    for (const { server } of replicas) {
      const warnings = () => server.output().match(/Redis is unreachable: rate limits are not enforced/g) ?? [];
      await waitFor(async () => expect(warnings().length).toBeGreaterThan(0), "the outage warning");
      expect(warnings(), "one warning per outage, not one per reconnect").toHaveLength(1);
    }
  });
});
