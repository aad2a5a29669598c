import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createDatabaseClient, type Database } from "../db/prisma.js";
import { createPool, createSqlPool, type DatabaseDeadlines, type SqlPool } from "../db/sql.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: Database;
    /** Prepared statements on the same pool as `prisma`, for the hot paths (see db/sql.ts). */
    sql: SqlPool;
  }
}

/**
 * Decorates `app.prisma` and `app.sql`, one pool under both; it connects on first query, so
 * start-up never waits on PostgreSQL.
 */
export const prismaPlugin = fp(
  async (app: FastifyInstance, options: { databaseUrl: string; deadlines: DatabaseDeadlines }) => {
    const pool = createPool(options.databaseUrl, options.deadlines);
    // An idle connection that dies (a database restart) must not crash the process; the next query reconnects.
    pool.on("error", (error) => app.log.warn({ err: error }, "idle database connection lost"));
    const db = createDatabaseClient(pool, options.deadlines);
    app.decorate("prisma", db);
    app.decorate("sql", createSqlPool(pool, { outcomeWaitMs: options.deadlines.poolWaitMs }));
    app.addHook("onClose", async () => {
      await db.$disconnect();
      await pool.end();
    });
  },
  { name: "prisma" },
);
