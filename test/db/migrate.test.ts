import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createTestDatabase, type TestDatabase } from "../helper.js";

/** On migrated clones of the run's template database: what a start does with what it finds. */
let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

async function sql(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe("starting on an existing database", () => {
  it("skips Prisma's CLI when every migration has finished", async () => {
    database = await createTestDatabase();
    const said: string[] = [];
    await migrateDatabase(database.url, (message) => said.push(message));
    // The CLI says "No pending migrations"; this line is the check's own.
    expect(said).toEqual([expect.stringMatching(/^database schema is up to date \(all \d+ migrations applied\)$/)]);
  });

  it("leaves a migration that failed half-way to the CLI, which refuses to go on", async () => {
    database = await createTestDatabase();
    await sql(
      database.url,
      `UPDATE _prisma_migrations SET finished_at = NULL, logs = 'failed in a test'
        WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)`,
    );
    await expect(migrateDatabase(database.url, () => {})).rejects.toThrow(/P3009/);
  }, 60_000);
});
