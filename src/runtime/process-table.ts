import { readFileSync } from "node:fs";
import { errorCode } from "../schemas/guards.js";

/*
 * What the kernel says about a process, read from /proc where it exists (Linux). Elsewhere only
 * kill(pid, 0) is available: a pid is then "alive" without its start time or command.
 */

interface ProcessInfo {
  /** Clock ticks after boot; with the pid it names one process, since pids are reused. */
  startTime: string | undefined;
  command: string | undefined;
}

/** The process, or undefined when it is gone (a zombie is gone: it only waits to be reaped). */
export function describeProcess(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    if (errorCode(error) !== "EPERM") return undefined;
  }
  const stat = readProc(pid, "stat");
  if (stat === undefined) return { startTime: undefined, command: undefined };
  // The command name in field 2 may hold spaces and parentheses: count fields after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  const command = readProc(pid, "cmdline")?.split("\0").filter(Boolean).join(" ");
  return { startTime: fields[19], command: command || undefined };
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, "utf8");
  } catch {
    return undefined;
  }
}

/** Resolves once the process is gone, or false after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (describeProcess(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
