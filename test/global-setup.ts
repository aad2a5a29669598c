import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.js";
import { migrateDatabase } from "../src/db/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
  }
}

/**
 * One PostgreSQL for the run: DATABASE_URL's server if set, else a throw-away embedded one,
 * never the developer's own .data folder. A migrated template database is cloned per test app.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  let adminUrl = process.env.DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | undefined;
  let tempDir: string | undefined;
  if (!adminUrl) {
    tempDir = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-test-"));
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(tempDir, "postgres"),
      database: "aprendiendo_test",
      log: () => {},
    });
    adminUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }

  const templateDatabase = `aprendiendo_template_${process.pid}`;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${templateDatabase}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${templateDatabase}`);
  await migrateDatabase(withDatabase(adminUrl, templateDatabase), () => {});
  console.log(
    `test database: ${stopEmbedded ? "embedded PostgreSQL" : "DATABASE_URL"} ready in ${Date.now() - started} ms`,
  );

  project.provide("databaseAdminUrl", adminUrl);
  project.provide("templateDatabase", templateDatabase);

  return async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`).catch(() => {});
    await stopEmbedded?.();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
