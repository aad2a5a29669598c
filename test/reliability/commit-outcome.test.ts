import type { FastifyInstance } from "fastify";
import pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { createTestClient, testConfig } from "../helper.js";
import { eventually } from "../support/polling.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "../support/throwaway-postgres.js";
import { signalPostgres } from "./support/frozen-postgres.js";

/**
 * A COMMIT PostgreSQL has received but not yet answered can still take effect after the service
 * stops waiting for it: during a stall, attempts answered 503 ("nothing was stored") had been
 * stored, and a plain retry counted them twice. Here the COMMIT is held on purpose and exactly:
 * synchronous_standby_names names a standby that never comes, so the server writes the commit and
 * waits (wait_event SyncRep) until the setting is lifted; then the held commit becomes visible.
 */
const QUERY_TIMEOUT_MS = 500;
/** Also how long an unanswered COMMIT's outcome is asked for. */
const POOL_WAIT_MS = 3000;
const EXERCISE = "preguntas-comandos-basicos";

let database: ThrowawayPostgres;
let superuser: pg.Client;
let db: Database;
let app: FastifyInstance;
let lms: { id: string; auth: string };

beforeAll(async () => {
  database = await startThrowawayPostgres("commit-outcome");
  await migrateDatabase(database.url, () => {});
  superuser = new pg.Client({ connectionString: database.superuserUrl });
  await superuser.connect();
  db = createDatabaseClient(database.url);
  lms = await createTestClient(db, ["submissions:write", "progress:read"], "commit outcome");
  app = await buildApp(
    testConfig(database.url, {
      rateLimitPerMinute: 1_000_000,
      database: { queryTimeoutMs: QUERY_TIMEOUT_MS, poolWaitMs: POOL_WAIT_MS },
    }),
  );
  await app.ready();
}, 60_000);

afterAll(async () => {
  if (database) await signalPostgres(database, "SIGCONT").catch(() => {});
  await setStandby(null).catch(() => {});
  await app?.close();
  await db?.$disconnect();
  await superuser?.end();
  await database?.dispose();
});

/**
 * Holds (a name) or lets through (null) every COMMIT. Done once a new backend sees the value: the
 * postmaster has then reloaded and signalled every backend, which rereads it before its next command.
 */
async function setStandby(name: string | null) {
  await superuser.query(
    name ? `ALTER SYSTEM SET synchronous_standby_names = '${name}'` : "ALTER SYSTEM RESET synchronous_standby_names",
  );
  await superuser.query("SELECT pg_reload_conf()");
  const seen = await eventually(
    async () => {
      const fresh = new pg.Client({ connectionString: database.superuserUrl });
      await fresh.connect();
      try {
        return (await fresh.query("SHOW synchronous_standby_names")).rows[0].synchronous_standby_names;
      } finally {
        await fresh.end();
      }
    },
    (value) => value === (name ?? ""),
  );
  expect(seen).toBe(name ?? "");
}
const holdCommits = () => setStandby("nadie");
const releaseCommits = () => setStandby(null);

/** Whether some backend is in the state a query on pg_stat_activity describes, e.g. a COMMIT held in SyncRep. */
async function someBackend(condition: string): Promise<boolean> {
  const { rows } = await superuser.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND ${condition}`,
  );
  return rows[0].n > 0;
}

/** Resolves when the condition holds, or when `answered` settles first (the old code answered at once). */
async function whenBackendOr(condition: string, answered: Promise<unknown>) {
  let settled = false;
  answered.finally(() => {
    settled = true;
  });
  await eventually(
    () => someBackend(condition),
    (found) => found || settled,
    20_000,
  );
}

const submit = (learnerId: string, idempotencyKey?: string) => {
  const pending = request(app.server)
    .post(`/v1/exercises/${EXERCISE}/submissions`)
    .set("authorization", lms.auth)
    .send({ learnerId, answers: { "dentro-de-uno-en-marcha": "exec" } });
  return idempotencyKey ? pending.set("idempotency-key", idempotencyKey) : pending;
};
const storedAttempts = (learnerId: string) => db.submission.count({ where: { clientId: lms.id, learnerId } });
const countedAttempts = async (learnerId: string) =>
  (
    await db.exerciseProgress.findUnique({
      where: { clientId_learnerId_exerciseId: { clientId: lms.id, learnerId, exerciseId: EXERCISE } },
    })
  )?.attempts ?? 0;

describe("a COMMIT that goes unanswered past its deadline", () => {
  it("is answered 201 when the database then says it committed: never a 503 for a stored attempt", async () => {
    await holdCommits();
    const answered = submit("ana").then((response) => response);
    try {
      // The service has given up waiting on its COMMIT and is asking what became of it.
      await whenBackendOr("query LIKE 'SELECT pg_xact_status%'", answered);
    } finally {
      await releaseCommits();
    }
    const response = await answered;
    expect(
      await eventually(
        () => storedAttempts("ana"),
        (n) => n === 1,
      ),
    ).toBe(1);
    expect(response.status, response.text).toBe(201);
    const [stored] = await db.submission.findMany({ where: { clientId: lms.id, learnerId: "ana" } });
    expect(response.body.id).toBe(stored?.id);
    expect(await countedAttempts("ana")).toBe(1);
  }, 30_000);

  it("is 504 naming an Idempotency-Key while the database stays frozen, and the retry with it counts once", async () => {
    await holdCommits();
    const answered = submit("bea").then((response) => response);
    let response: request.Response;
    try {
      await whenBackendOr("wait_event = 'SyncRep'", answered);
      await signalPostgres(database, "SIGSTOP");
      response = await answered;
    } finally {
      await signalPostgres(database, "SIGCONT");
      await releaseCommits();
    }
    expect(response.status, response.text).toBe(504);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: expect.stringContaining("commit-outcome-unknown"),
      dependency: "database",
    });
    expect(response.body.detail).toContain("may have been");
    const key = response.body.idempotencyKey;
    expect(key).toEqual(expect.any(String));

    // The held commit lands once the database thaws and lets it through.
    expect(
      await eventually(
        () => storedAttempts("bea"),
        (n) => n === 1,
      ),
    ).toBe(1);
    const retry = await submit("bea", key);
    expect(retry.status, retry.text).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    const [stored] = await db.submission.findMany({ where: { clientId: lms.id, learnerId: "bea" } });
    expect(retry.body.id).toBe(stored?.id);
    expect(await storedAttempts("bea")).toBe(1);
    expect(await countedAttempts("bea")).toBe(1);
  }, 30_000);

  it("leaves ordinary attempts as they were: each one without a key is its own attempt", async () => {
    await submit("carla").expect(201);
    await submit("carla").expect(201);
    expect(await countedAttempts("carla")).toBe(2);
  });
});
