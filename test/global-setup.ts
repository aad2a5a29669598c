import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../src/db/migrate.js";
import { findLeakedCredentials } from "./support/run-log.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "./support/throwaway-postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseAdminUrl: string;
    templateDatabase: string;
    testLogDir: string;
  }
}

/**
 * One PostgreSQL for the run: DATABASE_URL's server if set, else a throw-away embedded one,
 * never the developer's own .data folder. A migrated template database is cloned per test app.
 */
export default async function setup(project: TestProject) {
  const started = Date.now();
  let adminUrl = process.env.DATABASE_URL;
  let embedded: ThrowawayPostgres | undefined;
  if (!adminUrl) {
    embedded = await startThrowawayPostgres("aprendiendo_test");
    adminUrl = embedded.superuserUrl;
  }

  const templateDatabase = `aprendiendo_template_${process.pid}`;
  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${templateDatabase}`);
  await adminQuery(adminUrl, `CREATE DATABASE ${templateDatabase}`);
  await migrateDatabase(withDatabase(adminUrl, templateDatabase), () => {});
  console.log(
    `test database: ${embedded ? "embedded PostgreSQL" : "DATABASE_URL"} ready in ${Date.now() - started} ms`,
  );

  project.provide("databaseAdminUrl", adminUrl);
  project.provide("templateDatabase", templateDatabase);
  const testLogDir = mkdtempSync(path.join(os.tmpdir(), "aprendiendo-test-logs-"));
  project.provide("testLogDir", testLogDir);

  return async () => {
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${templateDatabase} WITH (FORCE)`).catch(() => {});
    await embedded?.dispose();
    // Issue 21: a request log once held session links valid for 30 days. The whole run's logs are read.
    const { scannedLines, leaks } = findLeakedCredentials(testLogDir);
    if (leaks.length > 0) {
      throw new Error(
        `the run's logs hold ${leaks.length} credential(s) (kept in ${testLogDir}):\n${leaks.join("\n")}`,
      );
    }
    rmSync(testLogDir, { recursive: true, force: true });
    console.log(`test logs: ${scannedLines} lines written by the run's apps and servers, no session token or API key`);
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
