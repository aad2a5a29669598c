import { createApiClient } from "../src/clients/api-clients.js";
import { createDatabaseClient } from "../src/db/prisma.js";
import type { BenchContext } from "./lesson.js";
import type { BenchDatabaseServer } from "./support/database.js";
import { measureInRounds } from "./support/load.js";
import { log } from "./support/processes.js";
import { markdownTable, printTable } from "./support/report.js";

const SAMPLE_REQUESTS = 20;

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
  const { key } = await createApiClient(db, { name: "bench-progress", scopes: ["admin"] }).finally(() =>
    db.$disconnect(),
  );
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  const exercises = ((await (await fetch(`${base}/v1/exercises`, { headers })).json()) as { items: { id: string }[] })
    .items;
  const submit = async (learnerId: string, exerciseId: string) => {
    const response = await fetch(`${base}/v1/exercises/${exerciseId}/submissions`, {
      method: "POST",
      headers,
      body: JSON.stringify({ learnerId }),
    });
    if (response.status !== 201)
      throw new Error(`submission for ${exerciseId}: ${response.status} ${await response.text()}`);
  };
  // A learner exists from their first submission (an unknown id is a 404), so the smallest case is one.
  const learners = [
    ["bench-one", 1],
    ["bench-half", Math.ceil(exercises.length / 2)],
    ["bench-every", exercises.length],
  ] as const;
  for (const [learner, submitted] of learners) {
    log(`recording submissions on ${submitted} of the ${exercises.length} exercises for learner ${learner}`);
    for (const exercise of exercises.slice(0, submitted)) await submit(learner, exercise.id);
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

  const results = await measureInRounds(
    [
      {
        target: `service, learner with all ${exercises.length} exercises`,
        url: `${base}/v1/learners/bench-every/progress`,
        headers: { authorization: headers.authorization },
        expectStatus: 200,
        process: context.service,
      },
    ],
    context,
  );
  const table = `${printTable(
    `Progress read: GET /v1/learners/{id}/progress, ${context.connections} connections, ${context.rounds} rounds of ${context.durationSeconds} s`,
    results,
    [],
  )}\n${countTable}\n\nStatements per request constant: ${constant ? "yes" : "NO"}\n`;
  console.log(`\n${countTable}\n`);
  return { name: "progress", exercises: exercises.length, counts, constant, results, table };
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
