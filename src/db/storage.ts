import type pg from "pg";
import { createDatabaseClient, type Database } from "./prisma.js";
import { createPool, createSqlPool, type DatabaseDeadlines, type SqlPool } from "./sql.js";

/**
 * The service's one database, as every store takes it: Prisma for the schema's CRUD and rare paths,
 * prepared statements through plain pg for the hot paths (see sql.ts), both on one pool. A store
 * picks one inside itself; routes and plugins hand over the whole and never choose.
 */
export interface Storage {
  readonly prisma: Database;
  readonly sql: SqlPool;
}

/** One pool under both handles; it connects on first query, so opening never waits on PostgreSQL. */
export function openStorage(
  databaseUrl: string,
  deadlines: DatabaseDeadlines,
): { storage: Storage; pool: pg.Pool; close(): Promise<void> } {
  const pool = createPool(databaseUrl, deadlines);
  const prisma = createDatabaseClient(pool, deadlines);
  const sql = createSqlPool(pool, { outcomeWaitMs: deadlines.poolWaitMs });
  return {
    storage: { prisma, sql },
    pool,
    async close() {
      // The pool first: it refuses new work and waits for the connections in use, so a transaction
      // under way finishes and returns its connection. Prisma's $disconnect first abandons a
      // transaction still getting its connection, which is then never returned, and pool.end()
      // waited for it forever (a SIGTERM while npm start minted the self-study link).
      await pool.end();
      await prisma.$disconnect();
    },
  };
}

/** Readiness: the database answers a query. */
export async function pingDatabase({ sql }: Storage): Promise<void> {
  await sql.pool.query("SELECT 1");
}
