import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { DatabaseDeadlines } from "../db/sql.js";
import { openStorage, type Storage } from "../db/storage.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The database, handed whole to the stores: each picks Prisma or plain pg inside itself. */
    storage: Storage;
  }
}

/** Decorates `app.storage`; it connects on first query, so start-up never waits on PostgreSQL. */
export const storagePlugin = fp(
  async (app: FastifyInstance, options: { databaseUrl: string; deadlines: DatabaseDeadlines }) => {
    const { storage, pool, close } = openStorage(options.databaseUrl, options.deadlines);
    // An idle connection that dies (a database restart) must not crash the process; the next query
    // reconnects. Once the pool is closing, a connection still saying goodbye when the embedded
    // PostgreSQL stops is no news.
    pool.on("error", (error) => {
      if (!pool.ending) app.log.warn({ err: error }, "idle database connection lost");
    });
    app.decorate("storage", storage);
    app.addHook("onClose", close);
  },
  { name: "storage" },
);
