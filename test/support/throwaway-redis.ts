import { type ChildProcess, execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { findFreePort } from "../../src/runtime/find-free-port.js";

const run = promisify(execFile);

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, then waits for its exit), e.g. to see the service go on without it. Idempotent. */
  stop(): Promise<void>;
  /** Freezes it (SIGSTOP): the kernel still accepts connections, nothing answers. */
  pause(): void;
  /** Lets a frozen server go on (SIGCONT). */
  resume(): void;
}

/**
 * Debian's redis-server (installed by scripts/redis-lab.sh) on a free port, in memory only, owned by
 * the test that starts it: stopping it touches no one else's server.
 */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await findFreePort();
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once("error", (error) =>
      reject(new Error(`redis-server did not start (${error.message}): run scripts/redis-lab.sh`)),
    ),
  );
  const answers = (async () => {
    for (let attempt = 0; attempt < 100; attempt++) {
      const pong = await run("redis-cli", ["-p", String(port), "ping"]).catch(() => undefined);
      if (pong?.stdout.trim() === "PONG") return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`redis-server on port ${port} did not answer PING`);
  })();
  await Promise.race([answers, spawnFailed]);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGCONT"); // a frozen server would not act on SIGTERM
        child.kill("SIGTERM");
      }
      await exited;
    },
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
  };
}
