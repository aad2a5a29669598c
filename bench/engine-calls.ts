import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createDockerEngine } from "../src/docker/engine.js";
import { log } from "./support/processes.js";
import { markdownTable } from "./support/report.js";

const run = promisify(execFile);
const CALLS = 30;

/**
 * What each engine call a check can need costs on its own, through the service's engine module,
 * one at a time on one running container (and a stopped one for the stat): the floor under any
 * exercise's grading time.
 */
export async function benchEngineCalls() {
  const engine = createDockerEngine({ host: process.env.DOCKER_HOST, timeoutMs: 10_000, concurrency: 4 });
  const suffix = `${process.pid}-${Date.now()}`;
  const running = `bench-engine-running-${suffix}`;
  const stopped = `bench-engine-stopped-${suffix}`;
  try {
    await run("docker", ["run", "-d", "--name", running, "alpine", "tail", "-f", "/dev/null"]);
    await run("docker", ["run", "--name", stopped, "alpine", "true"]);
    const calls: [string, () => Promise<unknown>][] = [
      ["inspect", () => engine.inspectContainer(running)],
      ["logs, last 100 lines", () => engine.logsTail(running, { lines: 100, maxBytes: 65_536 })],
      ["stat of a path (check `path`), running", () => engine.statPath(running, "/etc/alpine-release")],
      ["stat of a missing path, running", () => engine.statPath(running, "/no/such/file")],
      ["stat of a path, stopped container", () => engine.statPath(stopped, "/etc/alpine-release")],
      ["top (check `processRunning`)", () => engine.top(running)],
      ["exec `test -e` (check `exec`)", () => engine.execFixed(running, ["test", "-e", "/etc"], execLimits)],
    ];
    const rows: string[][] = [];
    const results: { call: string; p50: number; p90: number }[] = [];
    for (const [call, once] of calls) {
      await once(); // the first call of a kind pays for connections and the engine's caches
      const latencies: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const started = performance.now();
        await once();
        latencies.push(performance.now() - started);
      }
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.floor(q * latencies.length)] ?? 0;
      results.push({ call, p50: at(0.5), p90: at(0.9) });
      rows.push([call, at(0.5).toFixed(1), at(0.9).toFixed(1)]);
      log(`engine call ${call}: p50 ${at(0.5).toFixed(1)} ms`);
    }
    const table = [
      `Engine calls, each ${CALLS} times one at a time through src/docker/engine.ts (ms)`,
      "",
      markdownTable(["call", "p50 ms", "p90 ms"], rows),
    ].join("\n");
    return { name: "engine-calls", calls: CALLS, results, table };
  } finally {
    await run("docker", ["rm", "-f", running, stopped]).catch(() => {});
    engine.close();
  }
}

const execLimits = { timeoutMs: 5000, maxBytes: 1024 };
