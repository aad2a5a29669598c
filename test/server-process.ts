import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { appendServerOutput } from "./support/run-log.js";

/** The README's run command, as a user runs it: `npm start` is `tsx src/server.ts`. */
export function startServer(env: Record<string, string>): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
} {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { ...process.env, DATABASE_URL: "", PORT: "0", LOG_LEVEL: "info", ...env },
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk;
    appendServerOutput(child.pid, chunk.toString());
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return { child, output: () => output };
}

/**
 * The address `npm start` printed once it listens. A fresh data folder means initdb, 14 migrations
 * and the course's checks first: about 35 s on a machine shared with a test run, so the default
 * wait is generous; a server that never gets there still fails the test, with its output.
 */
export async function listeningAddress(output: () => string, timeoutMs = 100_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start:\n${output()}`);
}

export function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    // A process killed by a signal has exited with a null exitCode: its exit event has already fired.
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}
