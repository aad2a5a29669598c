import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Database = PrismaClient;

export interface DatabaseDeadlines {
  /** Longest wait for one statement's answer, the API-key lookup included: a frozen server is an error, not a hang. */
  queryTimeoutMs: number;
  /** Longest wait for a pooled connection (or a transaction's) before the request answers 503. */
  poolWaitMs: number;
}

const DEFAULT_DEADLINES: DatabaseDeadlines = { queryTimeoutMs: 5000, poolWaitMs: 10_000 };

/** A Prisma client on the JS engine: the pg driver does the talking, no native engine is needed. */
export function createDatabaseClient(url: string, deadlines: DatabaseDeadlines = DEFAULT_DEADLINES): Database {
  return new PrismaClient({
    // Under load, requests queue for one of the pool's connections: wait as long for a
    // transaction's connection as for a query's, long enough to ride out a burst.
    adapter: new PrismaPg({
      connectionString: url,
      connectionTimeoutMillis: deadlines.poolWaitMs,
      query_timeout: deadlines.queryTimeoutMs,
      max: 10,
    }),
    transactionOptions: { maxWait: deadlines.poolWaitMs },
  });
}
