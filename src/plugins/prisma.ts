import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createDatabaseClient, type Database, type DatabaseDeadlines } from "../db/prisma.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: Database;
  }
}

/** Decorates `app.prisma`; the client connects on first query, so start-up never waits on PostgreSQL. */
export const prismaPlugin = fp(
  async (app: FastifyInstance, options: { databaseUrl: string; deadlines: DatabaseDeadlines }) => {
    const db = createDatabaseClient(options.databaseUrl, options.deadlines);
    app.decorate("prisma", db);
    app.addHook("onClose", async () => {
      await db.$disconnect();
    });
  },
  { name: "prisma" },
);
