import path from "node:path";
import { createApiClient } from "../src/clients/api-clients.js";
import { createDatabaseClient } from "../src/db/prisma.js";
import { findFreePort } from "../src/runtime/find-free-port.js";
import type { BenchContext } from "./lessons.js";
import type { BenchDatabaseServer } from "./support/database.js";
import { type LoadResult, measureInRounds } from "./support/load.js";
import { log, startNodeProcess } from "./support/processes.js";
import { markdownTable, printTable, type TargetRow } from "./support/report.js";

const SAMPLE_REQUESTS = 20;
const CONCURRENCY = 16;

/**
 * GET /v1/learners/{id}/progress for a learner with a submission on every exercise, and the
 * SQL statements one request sends, counted on the wire for learners with one, half and every
 * exercise submitted: the count must not grow with the exercises.
 */
export async function benchProgress(
  context: BenchContext & { database: BenchDatabaseServer; serviceDatabaseUrl: string },
) {
  const base = `http://127.0.0.1:${context.service.port}`;
  const db = createDatabaseClient(context.serviceDatabaseUrl);
  const { key, client } = await createApiClient({ prisma: db }, { name: "bench-progress", scopes: ["admin"] }).finally(
    () => db.$disconnect(),
  );
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const exercises = (
    (await (await fetch(`${base}/v1/exercises`, { headers })).json()) as {
      items: { id: string; kind: "container" | "question" }[];
    }
  ).items;
  const submit = async (learnerId: string, exercise: (typeof exercises)[number]) => {
    // A question exercise takes answers; none at all is a wrong attempt, recorded like any other.
    const body = exercise.kind === "question" ? { learnerId, answers: {} } : { learnerId };
    const response = await fetch(`${base}/v1/exercises/${exercise.id}/submissions`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    });
    if (response.status !== 201)
      throw new Error(`submission for ${exercise.id}: ${response.status} ${await response.text()}`);
  };
  // A learner exists from their first submission (an unknown id is a 404), so the smallest case is one.
  const learners = [
    ["bench-one", 1],
    ["bench-half", Math.ceil(exercises.length / 2)],
    ["bench-every", exercises.length],
  ] as const;
  for (const [learner, submitted] of learners) {
    log(`recording submissions on ${submitted} of the ${exercises.length} exercises for learner ${learner}`);
    for (const exercise of exercises.slice(0, submitted)) await submit(learner, exercise);
  }

  const counts: { learner: string; submitted: number; statements: number }[] = [];
  for (const [learner, submitted] of learners) {
    counts.push({
      learner,
      submitted,
      statements: await statementsPerRequest(context, `${base}/v1/learners/${learner}/progress`, headers),
    });
  }
  const countTable = markdownTable(
    ["learner", "exercises submitted", "SQL statements per request"],
    counts.map((c) => [c.learner, `${c.submitted} of ${exercises.length}`, String(c.statements)]),
  );
  const constant = new Set(counts.map((c) => c.statements)).size === 1;
  log(
    `SQL statements per progress request: ${counts.map((c) => c.statements).join(", ")} (${constant ? "constant" : "NOT constant"})`,
  );

  const lean = await startNodeProcess({
    name: "progress-baseline",
    entry: "bench/baselines/progress-server.ts",
    env: {
      DATABASE_URL: context.serviceDatabaseUrl,
      BENCH_CLIENT_ID: client.id,
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
    port: await findFreePort(),
    readyPath: "/progress/bench-every",
    logFile: path.join(context.directory, "progress-baseline.log"),
  });
  let results: LoadResult[];
  try {
    results = await measureInRounds(
      [
        {
          target: `service, learner with all ${exercises.length} exercises`,
          url: `${base}/v1/learners/bench-every/progress`,
          headers: { authorization: headers.authorization },
          expectStatus: 200,
          process: context.service,
        },
        {
          target: "lean Fastify + pg, same statement",
          url: `http://127.0.0.1:${lean.port}/progress/bench-every`,
          expectStatus: 200,
          process: lean,
        },
      ],
      { ...context, connections: CONCURRENCY },
    );
  } finally {
    await lean.stop();
  }
  const [service, baseline] = results as [LoadResult, LoadResult];
  const cpu = service.cpuMicrosPerRequest ?? Number.POSITIVE_INFINITY;
  const targets: TargetRow[] = [
    {
      target: "Progress read: service CPU per read",
      value: `${cpu.toFixed(0)} µs`,
      goal: "≤ 500 µs",
      baseline: `lean server ${(baseline.cpuMicrosPerRequest ?? 0).toFixed(0)} µs`,
      met: cpu <= 500,
    },
    {
      target: `Progress read: reads/s at ${CONCURRENCY} in flight`,
      value: service.requestsPerSecond.toFixed(0),
      goal: "≥ 1500",
      baseline: `lean server ${baseline.requestsPerSecond.toFixed(0)}/s`,
      met: service.requestsPerSecond >= 1500,
    },
    {
      target: "Progress read: SQL statements per read, constant",
      value: counts.map((c) => c.statements).join(", "),
      goal: "constant",
      baseline: "4 before (key, learner, progress, completions)",
      met: constant,
    },
  ];
  const table = `${printTable(
    `Progress read: GET /v1/learners/{id}/progress, ${CONCURRENCY} connections, ${context.rounds} rounds of ${context.durationSeconds} s`,
    results,
    [],
  )}\n${countTable}\n\nStatements per request constant: ${constant ? "yes" : "NO"}\n`;
  console.log(`\n${countTable}\n`);
  return { name: "progress", exercises: exercises.length, counts, constant, results, targets, table };
}

/** Fewest statements over three sequential batches: a background poll can only add, never remove. */
async function statementsPerRequest(context: BenchContext, url: string, headers: Record<string, string>) {
  let fewest = Number.POSITIVE_INFINITY;
  for (let batch = 0; batch < 3; batch++) {
    const before = context.statements();
    for (let i = 0; i < SAMPLE_REQUESTS; i++) {
      const response = await fetch(url, { headers });
      if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
      await response.arrayBuffer();
    }
    fewest = Math.min(fewest, (context.statements() - before) / SAMPLE_REQUESTS);
  }
  return fewest;
}
