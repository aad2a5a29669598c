import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { createPool, type DatabaseDeadlines, DEFAULT_DEADLINES } from "./sql.js";

export type Database = PrismaClient;
export type { DatabaseDeadlines } from "./sql.js";

/**
 * A Prisma client on the JS engine: the pg driver does the talking, no native engine is needed.
 * Given a pool, it runs on that pool (and leaves closing it to its owner); given a URL, on its own.
 */
export function createDatabaseClient(
  urlOrPool: string | pg.Pool,
  deadlines: DatabaseDeadlines = DEFAULT_DEADLINES,
): Database {
  const pool = typeof urlOrPool === "string" ? createPool(urlOrPool, deadlines) : urlOrPool;
  return new PrismaClient({
    adapter: new PrismaPg(pool, { disposeExternalPool: typeof urlOrPool === "string" }),
    transactionOptions: { maxWait: deadlines.poolWaitMs },
  });
}
