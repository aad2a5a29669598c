import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Database = PrismaClient;

/** A Prisma client on the JS engine: the pg driver does the talking, no native engine is needed. */
export function createDatabaseClient(url: string): Database {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, connectionTimeoutMillis: 3000, max: 10 }),
  });
}
