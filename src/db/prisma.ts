import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Database = PrismaClient;

const POOL_WAIT_MS = 10_000;

/** A Prisma client on the JS engine: the pg driver does the talking, no native engine is needed. */
export function createDatabaseClient(url: string): Database {
  return new PrismaClient({
    // Under load, requests queue for one of the pool's connections: wait as long for a
    // transaction's connection as for a query's, long enough to ride out a burst (P2028 otherwise).
    adapter: new PrismaPg({ connectionString: url, connectionTimeoutMillis: POOL_WAIT_MS, max: 10 }),
    transactionOptions: { maxWait: POOL_WAIT_MS },
  });
}
