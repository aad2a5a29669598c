import Fastify, { type FastifyInstance } from "fastify";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DEADLINES } from "../../src/db/sql.js";
import { storagePlugin } from "../../src/plugins/storage.js";
import { createTestDatabase, type TestDatabase } from "../helper.js";

/**
 * A SIGTERM's shutdown closes the app while a transaction may be getting its connection (npm start
 * mints the self-study link in one right after it listens). Prisma's $disconnect abandoned such a
 * transaction, its connection was never returned to the pool, and the close waited for it until
 * the shutdown's time limit exited 1.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

/** Holds the next BEGIN sent on the pool until `release()`; `requested` settles when it is sent. */
function holdNextBegin(pool: pg.Pool): { requested: Promise<void>; release: () => void } {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let sent = () => {};
  const requested = new Promise<void>((resolve) => {
    sent = resolve;
  });
  let held = false;
  pool.on("acquire", (client: pg.PoolClient) => {
    const query = client.query;
    // pg's query has many overloads; the held one is called as Prisma calls it, with a config object.
    client.query = ((...args: unknown[]) => {
      const text = (args[0] as { text?: string } | string | undefined) ?? "";
      if (!held && (typeof text === "string" ? text : text.text) === "BEGIN") {
        held = true;
        sent();
        return released.then(() => Reflect.apply(query, client, args));
      }
      return Reflect.apply(query, client, args);
    }) as typeof client.query;
  });
  return { requested, release };
}

describe("closing the app while a transaction gets its connection", () => {
  it("lets the transaction finish on its connection, then the close ends", { timeout: 60_000 }, async () => {
    const app: FastifyInstance = Fastify();
    await app.register(storagePlugin, { databaseUrl: database.url, deadlines: DEFAULT_DEADLINES });
    await app.ready();
    const begin = holdNextBegin(app.storage.sql.pool);

    const transaction = app.storage.prisma
      .$transaction(async (tx) => tx.apiClient.count())
      .then(
        (count) => ({ count }),
        (error: unknown) => ({ error: String(error) }),
      );
    await begin.requested;
    const closed = app.close();
    // The close has reached the database once the pool refuses new work; only then may BEGIN go on.
    await expect.poll(() => app.storage.sql.pool.ending, { timeout: 30_000 }).toBe(true);
    begin.release();

    const outcome = await Promise.race([
      closed.then(() => "closed"),
      // Generous: a close that is not waiting on a lost connection takes milliseconds.
      new Promise((resolve) => setTimeout(resolve, 20_000, "still waiting for a connection that never came back")),
    ]);
    expect(outcome).toBe("closed");
    expect(await transaction).toEqual({ count: 0 });
    expect(app.storage.sql.pool.totalCount, "no connection is left open").toBe(0);
  });
});
