import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { createApiClient } from "../src/clients/api-clients.js";
import { createDatabaseClient } from "../src/db/prisma.js";
import type { BenchContext } from "./lessons.js";
import { createLearnerContainers } from "./support/containers.js";
import type { BenchDatabaseServer } from "./support/database.js";
import { type LoadResult, measureInRounds } from "./support/load.js";
import { projectRoot, readCpuSeconds, readPeakRssMiB, resetPeakRss } from "./support/processes.js";
import { printTable, ratio, type TargetRow } from "./support/report.js";

// Inspect-only: one engine call, so the service's own cost per grading is what is measured.
const EXERCISE = "example2-detenido-con-kill";
const LEARNERS = 48;
const CONCURRENCY = 16;
// The engine is shared: another checkout's bench run must not remove (or grade) this run's containers.
const CONTAINER_PREFIX = `bench-grading-${process.pid}`;

/**
 * POST /v1/exercises/{id}/submissions for LEARNERS learners, each with a running container of
 * their own, one at a time and at fixed concurrency; against a plain script (dockerode, the pure
 * grader, the same three statements through plain pg in one transaction) on its own database.
 */
export async function benchGrading(
  context: BenchContext & { database: BenchDatabaseServer; serviceDatabaseUrl: string },
) {
  const containers = await createLearnerContainers(CONTAINER_PREFIX, LEARNERS);
  const baselineUrl = await context.database.createDatabase("grading_baseline");
  const serviceKey = await newClient(context.serviceDatabaseUrl);
  const baselineClient = await newClient(baselineUrl);
  const baseline = await startBaseline(baselineUrl, baselineClient.id);
  try {
    let next = 0;
    const body = () => {
      const i = next++ % LEARNERS;
      return JSON.stringify({ learnerId: `bench-learner-${i}`, containerName: `${CONTAINER_PREFIX}-${i}` });
    };
    const request = {
      url: `http://127.0.0.1:${context.service.port}/v1/exercises/${EXERCISE}/submissions?lang=es`,
      method: "POST" as const,
      headers: { "content-type": "application/json", authorization: `Bearer ${serviceKey.key}` },
      body,
      expectStatus: 201,
      process: context.service,
    };
    const results = await measureInRounds(
      [
        { target: "service, 1 at a time", ...request, connections: 1 },
        { target: `service, ${CONCURRENCY} connections`, ...request, connections: CONCURRENCY },
        {
          target: `baseline script, ${CONCURRENCY} in flight`,
          url: "",
          expectStatus: 201,
          process: baseline.probe,
          run: (seconds) => baseline.run(seconds),
        },
      ],
      context,
    );
    const [single, service, script] = results as [LoadResult, LoadResult, LoadResult];
    const ratios = [
      ratio("service / baseline script, gradings/s", service.requestsPerSecond, script.requestsPerSecond, 0.7),
      ratio(
        "service / baseline script, gradings per CPU-s",
        script.cpuMicrosPerRequest ?? 0,
        service.cpuMicrosPerRequest ?? 0,
        null,
      ),
    ];
    const table = printTable(
      `Grading: POST /v1/exercises/${EXERCISE}/submissions, ${LEARNERS} learners with a container each, ` +
        `${CONCURRENCY} concurrent, ${context.rounds} rounds of ${context.durationSeconds} s`,
      results,
      ratios,
    );
    const cpu = service.cpuMicrosPerRequest ?? Number.POSITIVE_INFINITY;
    const targets: TargetRow[] = [
      {
        target: "Grading (inspect-only): service CPU per grading, transaction included",
        value: `${(cpu / 1000).toFixed(2)} ms`,
        goal: "≤ 3 ms",
        baseline: `script ${((script.cpuMicrosPerRequest ?? 0) / 1000).toFixed(2)} ms`,
        met: cpu <= 3000,
      },
      {
        target: "Grading: p50 one at a time",
        value: `${single.latencyMs.p50.toFixed(1)} ms`,
        goal: "≤ 8 ms",
        baseline: "—",
        met: single.latencyMs.p50 <= 8,
      },
      {
        target: `Grading: gradings/s at ${CONCURRENCY} in flight`,
        value: service.requestsPerSecond.toFixed(0),
        goal: "≥ 250",
        baseline: `script ${script.requestsPerSecond.toFixed(0)}`,
        met: service.requestsPerSecond >= 250,
      },
      {
        target: "Grading: service / baseline script, gradings/s",
        value: `${(ratios[0]?.value ?? 0).toFixed(2)}×`,
        goal: "≥ 0.7×",
        baseline: `script ${script.requestsPerSecond.toFixed(0)}/s`,
        met: ratios[0]?.met === true,
      },
    ];
    return {
      name: "grading",
      targets,
      exercise: EXERCISE,
      learners: LEARNERS,
      concurrency: CONCURRENCY,
      results,
      ratios,
      table,
    };
  } finally {
    await baseline.stop();
    await containers.remove();
  }
}

export async function newClient(databaseUrl: string) {
  const db = createDatabaseClient(databaseUrl);
  try {
    const { client, key } = await createApiClient({ prisma: db }, { name: "bench", scopes: ["admin"] });
    return { id: client.id, key };
  } finally {
    await db.$disconnect();
  }
}

/** The baseline script as a child process of its own, so its memory and CPU are measured like the service's. */
async function startBaseline(databaseUrl: string, clientId: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "bench/baselines/grading-script.ts"], {
    cwd: projectRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      BENCH_CLIENT_ID: clientId,
      BENCH_EXERCISE: EXERCISE,
      BENCH_LEARNERS: String(LEARNERS),
      BENCH_CONCURRENCY: String(CONCURRENCY),
      BENCH_CONTAINER_PREFIX: CONTAINER_PREFIX,
      LOG_LEVEL: "silent",
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the baseline script exited");
    return JSON.parse(value as string);
  };
  await nextLine(); // ready
  const pid = child.pid as number;
  return {
    probe: {
      resetPeakRss: () => resetPeakRss(pid),
      peakRssMiB: () => readPeakRssMiB(pid),
      cpuSeconds: () => readCpuSeconds(pid),
    },
    async run(seconds: number) {
      child.stdin?.write(`run ${seconds}\n`);
      const result = (await nextLine()) as {
        completed: number;
        failures: number;
        seconds: number;
        latencies: number[];
      };
      const sorted = result.latencies.sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      return {
        expected: result.completed,
        unexpected: result.failures,
        seconds: result.seconds,
        latency: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 },
      };
    },
    async stop() {
      child.stdin?.end("exit\n");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}
