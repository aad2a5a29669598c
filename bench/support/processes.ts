import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export const projectRoot = path.resolve(import.meta.dirname, "../..");

/** A child process we started and can measure: its pid, its port, and a way to stop it. */
export interface MeasuredProcess {
  name: string;
  pid: number;
  port: number;
  /** Starts a new peak-RSS window: the kernel forgets the high-water mark so far. */
  resetPeakRss(): Promise<void>;
  /** VmHWM from /proc/<pid>/status, in MiB: the peak resident set since the last reset. */
  peakRssMiB(): Promise<number>;
  /** CPU time (user + system, all threads) the process has used so far. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export function log(message: string): void {
  const time = new Date().toISOString().slice(11, 19);
  console.log(`[bench ${time}] ${message}`);
}

export async function readPeakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  if (!Number.isFinite(kib)) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return kib / 1024;
}

/** utime + stime from /proc/<pid>/stat, in seconds. */
export async function readCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // The command name may contain spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / CLOCK_TICKS_PER_SECOND;
}

// USER_HZ: 100 on every Linux architecture Node supports.
const CLOCK_TICKS_PER_SECOND = 100;

export async function resetPeakRss(pid: number): Promise<void> {
  // "5" resets the peak RSS (Linux >= 4.0, owner or root); without it the peak covers the process' life.
  await writeFile(`/proc/${pid}/clear_refs`, "5").catch(() => {});
}

/** Polls a URL on 127.0.0.1 until it answers `expectStatus`, the process exits, or time runs out. */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  output: () => string,
  { timeoutMs = 60_000, expectStatus = 200 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (response.status === expectStatus) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer ${expectStatus} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts a Node process (TypeScript through tsx, as `npm start` does). Its output goes to a
 * file, not through this process, so the load generator never pays for the service's logs.
 */
export async function startNodeProcess(options: {
  name: string;
  entry: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  logFile: string;
  nodeArgs?: string[];
  /** Where `entry` is and the process runs; default: this checkout. */
  cwd?: string;
}): Promise<MeasuredProcess> {
  const output = openSync(options.logFile, "w");
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", options.entry], {
    cwd: options.cwd ?? projectRoot,
    env: { ...process.env, ...options.env, PORT: String(options.port), HOST: "127.0.0.1" },
    stdio: ["ignore", output, output],
  });
  closeSync(output);
  const tail = () => readFileSync(options.logFile, "utf8").slice(-4000);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await waitForHttp(`http://127.0.0.1:${options.port}${options.readyPath}`, child, tail);
  const pid = child.pid as number;
  return {
    name: options.name,
    pid,
    port: options.port,
    resetPeakRss: () => resetPeakRss(pid),
    peakRssMiB: () => readPeakRssMiB(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
