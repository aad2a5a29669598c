// `npm run bench:sandboxes`: how fast a learner gets a sandbox, and how many idle ones this machine holds.
// Runs as root inside scripts/test-lab.sh (its engine has the stand-in images the sandboxes preload).
// Options: --cold=5 (sandboxes started one at a time)  --warm=5 (acquired from a warm pool of one)
//          --idle=12 (started and left idle, then measured; more are extrapolated from memory, and said so)
import { readFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import { parseArgs } from "node:util";
import { createHostedSandboxProvider } from "../src/sandbox/sandbox-provider.js";
import { startSandboxHost } from "../test/sandbox/sandbox-host-fixture.js";

const { values } = parseArgs({
  options: {
    cold: { type: "string", default: "5" },
    warm: { type: "string", default: "5" },
    idle: { type: "string", default: "12" },
  },
});
const say = (line: string) => console.log(`bench:sandboxes: ${line}`);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `p50 ${(percentile(sorted, 50) / 1000).toFixed(3)} s, p95 ${(percentile(sorted, 95) / 1000).toFixed(3)} s (n=${ms.length}: ${sorted.map((x) => (x / 1000).toFixed(3)).join(", ")})`;
};
const ping = (socketPath: string) =>
  new Promise<boolean>((resolve) => {
    http
      .get({ socketPath, path: "/_ping" }, (response) => resolve(response.statusCode === 200))
      .on("error", () => resolve(false));
  });
const memAvailable = async () =>
  Number((await readFile("/proc/meminfo", "utf8")).match(/MemAvailable:\s+(\d+)/)?.[1]) * 1024;

const idleCount = Number(values.idle);
const host = await startSandboxHost({ max: Math.max(idleCount, Number(values.cold), 2) + 2 });
try {
  say(
    `machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, load ${os.loadavg()[0]?.toFixed(2)}`,
  );
  const cold: number[] = [];
  for (let i = 0; i < Number(values.cold); i++) {
    const started = performance.now();
    const made = await host.client.create();
    cold.push(performance.now() - started);
    await host.client.destroy(made.id);
  }
  say(`cold start (user, cgroups, disk image, engine ready, 7 images loaded): ${summary(cold)}`);

  const provider = createHostedSandboxProvider({
    host: host.client,
    settings: { warmPool: 1, max: 4, idleMs: 600_000, maxAgeMs: 3_600_000 },
    log: () => undefined,
  });
  await provider.start();
  const warm: number[] = [];
  for (let i = 0; i < Number(values.warm); i++) {
    while (provider.pooled() < 1) await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    const { sandbox } = await provider.acquire({ clientId: "bench", learnerId: `warm-${i}` });
    if (!(await ping(sandbox.engineSocket))) throw new Error("a warm sandbox did not answer");
    warm.push(performance.now() - started);
    await provider.release({ clientId: "bench", learnerId: `warm-${i}` });
  }
  await provider.close();
  say(`warm start (from the pool, engine answering): ${summary(warm)}`);

  const availableBefore = await memAvailable();
  const idle = [];
  for (let i = 0; i < idleCount; i++) {
    idle.push(await host.client.create());
    if ((i + 1) % 10 === 0 && i + 1 < idleCount) say(`${i + 1} of ${idleCount} idle sandboxes started`);
  }
  await new Promise((resolve) => setTimeout(resolve, 10_000)); // let start-up allocations settle
  const answering = (await Promise.all(idle.map((made) => ping(made.engineSocket)))).filter(Boolean).length;
  let rss = 0;
  let usage = 0;
  for (const made of idle) {
    const stat = await readFile(`/sys/fs/cgroup/memory/${host.prefix}/${made.id}/memory.stat`, "utf8");
    const field = (name: string) => Number(stat.match(new RegExp(`^${name} (\\d+)`, "m"))?.[1] ?? 0);
    rss += field("total_rss") + field("total_shmem");
    usage += Number(await readFile(`/sys/fs/cgroup/memory/${host.prefix}/${made.id}/memory.usage_in_bytes`, "utf8"));
  }
  const availableAfter = await memAvailable();
  const perSandbox = rss / idle.length;
  const perSandboxSystem = (availableBefore - availableAfter) / idle.length;
  say(`${idle.length} idle sandboxes started, ${answering} answering`);
  say(
    `idle memory per sandbox: ${(perSandbox / 2 ** 20).toFixed(1)} MiB private (rss + shmem in its cgroup), ` +
      `${(usage / idle.length / 2 ** 20).toFixed(1)} MiB with page cache; MemAvailable fell ${(perSandboxSystem / 2 ** 20).toFixed(1)} MiB per sandbox`,
  );
  const holds = Math.floor((availableBefore * 0.9) / Math.max(perSandbox, perSandboxSystem));
  say(
    `this machine holds about ${holds} idle sandboxes by memory (90% of ${(availableBefore / 2 ** 30).toFixed(1)} GiB available ` +
      `/ ${(Math.max(perSandbox, perSandboxSystem) / 2 ** 20).toFixed(1)} MiB); measured running at once: ${answering}`,
  );
  // For npm run bench, which runs this in the lab and puts these figures in its report.
  const sortedCold = [...cold].sort((a, b) => a - b);
  const sortedWarm = [...warm].sort((a, b) => a - b);
  say(
    `result ${JSON.stringify({
      coldMs: { p50: percentile(sortedCold, 50), p95: percentile(sortedCold, 95), n: cold.length },
      warmMs: { p50: percentile(sortedWarm, 50), p95: percentile(sortedWarm, 95), n: warm.length },
      idleMiB: Math.max(perSandbox, perSandboxSystem) / 2 ** 20,
      idleAnswering: answering,
      idleStarted: idle.length,
      holdsByMemory: holds,
    })}`,
  );
} finally {
  await host.close();
}
