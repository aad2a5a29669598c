import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describeProcess, waitForExit } from "./process-table.js";
import { dataFolderError, StartupError } from "./startup-error.js";

const ORPHAN_STOP_TIMEOUT_MS = 60_000;

/**
 * PostgreSQL's own postmaster.pid says which postgres runs on a data folder, not who started it.
 * This file, next to the folder (DATA_DIR/postgres.owner), names the process that did: its pid,
 * its start time (pids are reused) and its command, so that a later start can tell an orphan
 * left by a killed service from a database that a live service is using.
 */
function ownerFile(dataDir: string): string {
  return path.join(path.dirname(dataDir), `${path.basename(dataDir)}.owner`);
}

interface Owner {
  pid: number;
  startTime: string | undefined;
  command: string | undefined;
}

/** The postgres running on `dataDir` per its postmaster.pid, if that process is alive. */
export async function runningPostmaster(dataDir: string): Promise<{ pid: number; port: number } | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n");
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  const running = describeProcess(pid);
  if (!running || !Number.isInteger(port)) return undefined;
  // After a reboot or in a new container the pid may belong to anything; postgres itself would
  // then refuse to start ("lock file already exists"), so only a postgres counts as running.
  if (running.command !== undefined && !running.command.includes("postgres")) {
    await rm(path.join(dataDir, "postmaster.pid"), { force: true });
    return undefined;
  }
  return { pid, port };
}

/** The process named by the owner file, if it is still that same process. */
export async function liveOwner(dataDir: string): Promise<Owner | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(ownerFile(dataDir), "utf8")).split("\n");
  } catch {
    return undefined;
  }
  const owner: Owner = { pid: Number(lines[0]), startTime: lines[1] || undefined, command: lines[2] || undefined };
  const now = describeProcess(owner.pid);
  if (!now) return undefined;
  if (owner.startTime && now.startTime && owner.startTime !== now.startTime) return undefined;
  return { ...owner, command: now.command ?? owner.command };
}

/**
 * Makes this process the owner of `dataDir`. A postgres still running there whose owner is gone
 * is an orphan (its service was killed): it is stopped with a fast shutdown, as `pg_ctl stop -m
 * fast` would. A postgres whose owner is alive is another service's database: that is refused.
 * Returns the release to call once this process has stopped its postgres.
 */
export async function claimDataFolder(dataDir: string, log: (message: string) => void): Promise<() => Promise<void>> {
  const postmaster = await runningPostmaster(dataDir);
  if (postmaster) {
    const owner = await liveOwner(dataDir);
    if (owner && owner.pid !== process.pid) {
      throw new StartupError(
        `the embedded PostgreSQL in ${dataDir} belongs to process ${owner.pid} (${owner.command ?? "command unknown"}), ` +
          `which is still running: stop it first (kill ${owner.pid}), or give this one another DATA_DIR`,
      );
    }
    log(
      `stopping the orphaned embedded PostgreSQL (pid ${postmaster.pid}) left on ${dataDir} by a process that is gone`,
    );
    const started = Date.now();
    try {
      process.kill(postmaster.pid, "SIGINT"); // PostgreSQL's "fast" shutdown: roll back, checkpoint, exit
    } catch {
      // It exited between the check and the signal.
    }
    if (!(await waitForExit(postmaster.pid, ORPHAN_STOP_TIMEOUT_MS))) {
      throw new StartupError(
        `the orphaned embedded PostgreSQL (pid ${postmaster.pid}) on ${dataDir} did not stop within ` +
          `${ORPHAN_STOP_TIMEOUT_MS / 1000} s: stop it yourself (kill -QUIT ${postmaster.pid}) and start again`,
      );
    }
    log(`orphaned embedded PostgreSQL stopped in ${Date.now() - started} ms`);
  }

  const me = describeProcess(process.pid);
  const file = ownerFile(dataDir);
  try {
    await writeFile(file, `${process.pid}\n${me?.startTime ?? ""}\n${me?.command ?? process.argv.join(" ")}\n`);
  } catch (error) {
    throw dataFolderError(error, path.dirname(dataDir));
  }
  return async () => {
    const owner = await liveOwner(dataDir);
    if (owner?.pid === process.pid) await rm(file, { force: true });
  };
}
