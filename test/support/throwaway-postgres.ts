import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/runtime/embedded-postgres.js";

export interface ThrowawayPostgres {
  /** As the app's role, as the service connects. */
  url: string;
  /** As the superuser, which may create databases (the run's template and its clones). */
  superuserUrl: string;
  /** The temporary folder; the data directory is its `postgres` subfolder. */
  directory: string;
  /** Stops the server and keeps its files, e.g. to start it again on them. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server if it runs and removes its files. */
  dispose(): Promise<void>;
}

/** An embedded PostgreSQL in a temporary folder of its own, never the developer's .data. */
export async function startThrowawayPostgres(database: string): Promise<ThrowawayPostgres> {
  const directory = await mkdtemp(path.join(os.tmpdir(), `aprendiendo-${database}-`));
  const embedded = await startEmbeddedPostgres({ dataDir: path.join(directory, "postgres"), database, log: () => {} });
  let running = true;
  const stop = async () => {
    if (!running) return;
    running = false;
    await embedded.stop();
  };
  return {
    url: embedded.url,
    superuserUrl: embedded.superuserUrl,
    directory,
    stop,
    dispose: async () => {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
