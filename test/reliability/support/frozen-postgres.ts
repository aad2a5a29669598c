import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ThrowawayPostgres } from "../../support/throwaway-postgres.js";

/** The postmaster's pid is the first line of postmaster.pid; its backends are its children. */
async function postgresPids(database: ThrowawayPostgres): Promise<number[]> {
  const pidFile = await readFile(path.join(database.directory, "postgres", "postmaster.pid"), "utf8");
  const postmaster = Number(pidFile.split("\n")[0]);
  const children = (await readFile(`/proc/${postmaster}/task/${postmaster}/children`, "utf8"))
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [postmaster, ...children];
}

/** SIGSTOP freezes the server and every backend, as a stalled host would; SIGCONT thaws them. */
export async function signalPostgres(database: ThrowawayPostgres, signal: "SIGSTOP" | "SIGCONT") {
  for (const pid of await postgresPids(database)) process.kill(pid, signal);
}
