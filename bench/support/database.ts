import path from "node:path";
import pg from "pg";
import { migrateDatabase } from "../../src/db/migrate.js";
import { startEmbeddedPostgres } from "../../src/runtime/embedded-postgres.js";
import { log } from "./processes.js";

export interface BenchDatabaseServer {
  address: { host: string; port: number };
  /** A new, migrated database on this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** One throw-away PostgreSQL for the whole run, outside every measured process. */
export async function startBenchDatabaseServer(directory: string): Promise<BenchDatabaseServer> {
  const started = Date.now();
  const server = await startEmbeddedPostgres({
    dataDir: path.join(directory, "postgres"),
    database: "bench",
    log: (message) => log(message),
  });
  log(`embedded PostgreSQL ready in ${Date.now() - started} ms`);
  const url = new URL(server.url);
  return {
    address: { host: url.hostname, port: Number(url.port) },
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: server.superuserUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(server.superuserUrl);
      url.pathname = `/${name}`;
      await migrateDatabase(url.toString(), () => {});
      return url.toString();
    },
    stop: () => server.stop(),
  };
}
