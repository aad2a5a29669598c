import type { FastifyInstance } from "fastify";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { createTestClient, testConfig } from "../helper.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway-postgres.js";
import { signalPostgres } from "./support/frozen-postgres.js";

/**
 * PostgreSQL freezes (SIGSTOP on the server and every backend) under a running app: requests that
 * need it answer 503 with Retry-After within the configured deadlines, none answers 500 or hangs,
 * and once it thaws (SIGCONT) the same app serves again without a restart.
 */
const QUERY_TIMEOUT_MS = 1000;
const POOL_WAIT_MS = 1000;
/** One pool wait plus one query, and room for a transaction's few statements on a loaded machine. */
const BOUND_MS = POOL_WAIT_MS + QUERY_TIMEOUT_MS * 3 + 2000;

let database: ThrowawayPostgres;
let app: FastifyInstance;
let auth: string;

beforeAll(async () => {
  database = await startThrowawayPostgres("stall");
  await migrateDatabase(database.url, () => {});
  const db = createDatabaseClient(database.url);
  auth = (await createTestClient(db, ["admin"], "stall")).auth;
  await db.$disconnect();
  app = await buildApp(
    testConfig(database.url, {
      rateLimitPerMinute: 1_000_000,
      database: { queryTimeoutMs: QUERY_TIMEOUT_MS, poolWaitMs: POOL_WAIT_MS },
    }),
  );
  await app.ready();
  // The learner exists before the reads below ask for her.
  await work()[0]?.expect(201);
});

afterAll(async () => {
  await signalPostgres(database, "SIGCONT").catch(() => {});
  await app?.close();
  await database?.dispose();
});

const work = () => [
  request(app.server)
    .post("/v1/exercises/example2-en-segundo-plano/submissions")
    .set("authorization", auth)
    .send({ learnerId: "ana", containerName: "stall-no-such-container" }),
  request(app.server).get("/v1/learners/ana/progress").set("authorization", auth),
  request(app.server).get("/v1/learners/ana/submissions").set("authorization", auth),
  request(app.server).get("/v1/clients").set("authorization", auth),
];

describe("when PostgreSQL freezes under load", () => {
  it("answers every request that needs it with 503 and Retry-After within the bound, never 500", async () => {
    for (const response of await Promise.all(work())) expect(response.status, response.text).toBeLessThan(300);

    await signalPostgres(database, "SIGSTOP");
    try {
      const timed = Array.from({ length: 4 }, () => work())
        .flat()
        .map(async (pending) => {
          const started = performance.now();
          const response = await pending;
          return { response, elapsed: performance.now() - started };
        });
      const outcomes = await Promise.all(timed);
      for (const { response, elapsed } of outcomes) {
        expect(response.status, response.text).toBe(503);
        expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
        expect(response.body.dependency).toBe("database");
        expect(elapsed).toBeLessThan(BOUND_MS);
      }
    } finally {
      await signalPostgres(database, "SIGCONT");
    }
  }, 60_000);

  it("serves again once it thaws, without a restart", async () => {
    const deadline = Date.now() + 20_000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = (await Promise.all(work())).map((response) => response.status);
      if (statuses.every((status) => status < 300)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(
      statuses.every((status) => status < 300),
      String(statuses),
    ).toBe(true);
  }, 30_000);
});
