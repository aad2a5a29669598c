import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createDatabaseClient, type Database } from "../db/prisma.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: Database;
  }
}

/** Decorates `app.prisma`; the client connects on first query, so start-up never waits on PostgreSQL. */
export const prismaPlugin = fp(
  async (app: FastifyInstance, options: { databaseUrl: string }) => {
    const db = createDatabaseClient(options.databaseUrl);
    app.decorate("prisma", db);
    app.addHook("onClose", async () => {
      await db.$disconnect();
    });
  },
  { name: "prisma" },
);
