import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { log, projectRoot } from "./support/processes.js";
import type { TargetRow } from "./support/report.js";

/** Issue 23's goals. */
const WARM_P50_GOAL_MS = 1000;
const COLD_P50_GOAL_MS = 6000;
const IDLE_GOAL = 50;

interface SandboxResult {
  coldMs: { p50: number; p95: number; n: number };
  warmMs: { p50: number; p95: number; n: number };
  idleMiB: number;
  idleAnswering: number;
  idleStarted: number;
  holdsByMemory: number;
}

/**
 * Sandboxes in `npm run bench`: bench/sandboxes.ts needs root and the test lab (rootless engines,
 * cgroups, the stand-in images), so it runs there as its own process; its lines are shown as they
 * come and its result line becomes this section. Without root, or without rootlesskit, it is skipped
 * and says why.
 */
export async function benchSandboxes(options: { idle: number }) {
  if (process.getuid?.() !== 0) {
    log("SKIPPED sandboxes: they need root (users, cgroups); run npm run bench as root");
    return undefined;
  }
  const args = ["scripts/test-lab.sh", "npx", "tsx", "bench/sandboxes.ts", "--cold=5", "--warm=10"];
  args.push(`--idle=${options.idle}`);
  log(`sandboxes: bash ${args.join(" ")} (in the test lab: about a minute plus 4 s per idle sandbox)`);
  const child = spawn("bash", args, { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] });
  let result: SandboxResult | undefined;
  const lastLines: string[] = [];
  const read = (stream: NodeJS.ReadableStream) =>
    createInterface({ input: stream }).on("line", (line) => {
      const found = /^bench:sandboxes: result (\{.*\})$/.exec(line);
      if (found?.[1]) result = JSON.parse(found[1]) as SandboxResult;
      else if (line.startsWith("bench:sandboxes:") || line.startsWith("test-lab:")) log(line);
      lastLines.push(line);
      if (lastLines.length > 20) lastLines.shift();
    });
  read(child.stdout);
  read(child.stderr);
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0 || !result) {
    throw new Error(`the sandbox benchmark failed (exit ${code}); its last lines:\n${lastLines.join("\n")}`);
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
  const targets: TargetRow[] = [
    {
      target: "sandbox warm start, p50 (from the pool, engine answering)",
      value: `${seconds(result.warmMs.p50)} (p95 ${seconds(result.warmMs.p95)}, n=${result.warmMs.n})`,
      goal: `≤ ${seconds(WARM_P50_GOAL_MS)}`,
      baseline: "—",
      met: result.warmMs.p50 <= WARM_P50_GOAL_MS,
    },
    {
      target: "sandbox cold start, p50 (user, cgroups, disk, engine, images)",
      value: `${seconds(result.coldMs.p50)} (p95 ${seconds(result.coldMs.p95)}, n=${result.coldMs.n})`,
      goal: `≤ ${seconds(COLD_P50_GOAL_MS)}`,
      baseline: "—",
      met: result.coldMs.p50 <= COLD_P50_GOAL_MS,
    },
    {
      target: "idle sandboxes this machine holds",
      value:
        `${result.idleAnswering} of ${result.idleStarted} started answering; about ${result.holdsByMemory} by memory ` +
        `(${result.idleMiB.toFixed(1)} MiB each, extrapolated)`,
      goal: `≥ ${IDLE_GOAL}`,
      baseline: "—",
      // Met only by sandboxes that ran at once, never by the extrapolation.
      met: result.idleAnswering >= IDLE_GOAL,
    },
  ];
  const table = `\nSandboxes (bench/sandboxes.ts in the test lab)\n${targets
    .map((row) => `- ${row.target}: ${row.value}; goal ${row.goal}: ${row.met ? "met" : "NOT MET"}`)
    .join("\n")}`;
  return { name: "sandboxes", result, targets, table };
}
