import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
const projectRoot = path.resolve(import.meta.dirname, "../..");

/** How often a start waits for another replica's migrations (each wait is Prisma's 10 s lock timeout). */
const LOCK_WAITS = 12;

/**
 * Applies pending migrations with Prisma's own `migrate deploy`, so the
 * `_prisma_migrations` table stays compatible with a deployment that uses native engines.
 * Replicas that start together take turns: `migrate deploy` holds a PostgreSQL advisory lock and
 * gives up after 10 s without it, which on a busy machine is less than another replica's whole run.
 */
export async function migrateDatabase(databaseUrl: string, log: (message: string) => void): Promise<void> {
  // Prisma's CLI takes about 10 s to start on this hardware: a restart with nothing to apply,
  // e.g. after a crash, should not wait for it.
  const applied = await everyMigrationApplied(databaseUrl);
  if (applied !== undefined) {
    log(`database schema is up to date (all ${applied} migrations applied)`);
    return;
  }
  for (let wait = 1; ; wait++) {
    try {
      return await migrateOnce(databaseUrl, log);
    } catch (error) {
      const lockHeld = error instanceof Error && /P1002[\s\S]*advisory lock/.test(error.message);
      if (!lockHeld || wait >= LOCK_WAITS) throw error;
      log(`another process is applying migrations (it holds their advisory lock): waiting, ${wait} of ${LOCK_WAITS}`);
    }
  }
}

async function migrateOnce(databaseUrl: string, log: (message: string) => void): Promise<void> {
  const cli = require.resolve("prisma/build/index.js");
  const placeholder = path.join(projectRoot, "package.json");
  const { stdout } = await run(process.execPath, [cli, "migrate", "deploy"], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      // With engine "js" these are never executed; setting them stops the CLI from downloading engines.
      PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
      PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
    timeout: 120_000,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    const output = `${error.stdout ?? ""}\n${error.stderr ?? ""}`.trim() || error.message;
    throw new Error(`prisma migrate deploy failed:\n${output}`);
  });
  const summary = stdout.includes("No pending migrations")
    ? "database schema is up to date"
    : (stdout.match(/The following migration\(s\) have been applied:[\s\S]*/)?.[0] ?? "migrations applied");
  log(summary.replace(/\s+/g, " ").trim());
}

/**
 * The number of migrations when every one in prisma/migrations has finished and none has failed
 * half-way; otherwise (a new database, a pending or a failed migration) undefined, and `migrate
 * deploy` decides, with its own lock and messages.
 */
async function everyMigrationApplied(databaseUrl: string): Promise<number | undefined> {
  const folder = path.join(projectRoot, "prisma", "migrations");
  const wanted = (await readdir(folder, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const table = await client.query<{ exists: boolean }>(
      "SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists",
    );
    if (!table.rows[0]?.exists) return undefined;
    const rows = await client.query<{ name: string; finished: boolean }>(
      `SELECT migration_name AS name, finished_at IS NOT NULL AS finished
         FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
    );
    if (rows.rows.some((row) => !row.finished)) return undefined;
    const done = new Set(rows.rows.map((row) => row.name));
    return wanted.every((name) => done.has(name)) ? wanted.length : undefined;
  } finally {
    await client.end();
  }
}
