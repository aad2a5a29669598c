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
    // An idle connection that dies (a database restart) must not crash the process; the next query
    // reconnects. Once the pool is closing, a connection still saying goodbye when the embedded
    // PostgreSQL stops is no news.
    pool.on("error", (error) => {
      if (!pool.ending) app.log.warn({ err: error }, "idle database connection lost");
    });
    const db = createDatabaseClient(pool, options.deadlines);
    app.decorate("prisma", db);
    app.decorate("sql", createSqlPool(pool, { outcomeWaitMs: options.deadlines.poolWaitMs }));
    app.addHook("onClose", async () => {
      // The pool first: it refuses new work and waits for the connections in use, so a transaction
      // under way finishes and returns its connection. Prisma's $disconnect first abandons a
      // transaction still getting its connection, which is then never returned, and pool.end()
      // waited for it forever (a SIGTERM while npm start minted the self-study link).
      await pool.end();
      await db.$disconnect();
    });
  },
  { name: "prisma" },
);
