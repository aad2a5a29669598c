import { randomUUID } from "node:crypto";
import pg from "pg";
import { createApiClient, findClientByKeyHash } from "../src/clients/api-clients.js";
import { hashApiKey } from "../src/clients/api-key.js";
import { createDatabaseClient } from "../src/db/prisma.js";
import type { Statement } from "../src/db/sql.js";
import { findLabOf } from "../src/labs/learner-labs.js";
import { readProgressOf } from "../src/progress/learner-progress.js";
import { encodeCursor } from "../src/schemas/page.js";
import {
  lockLearnerExercise,
  recordGradedSubmission,
  submissionListStatement,
} from "../src/submissions/submission-store.js";
import type { BenchContext } from "./lessons.js";
import { log } from "./support/processes.js";
import { markdownTable, type TargetRow } from "./support/report.js";

const LEARNERS = 1000;
const SUBMISSIONS_PER_LEARNER = 100;
const HEAVY_SUBMISSIONS = 1000;
const DELIVERED_WEBHOOK_ROWS = 50_000;
const PROBE = "growth-probe";

/**
 * Does the cost of a progress read and of a submission list stay flat as the tables grow? One
 * learner (PROBE) is measured one request at a time on the database as the earlier benchmarks left
 * it, then again after 100,000 submissions from 1,000 other learners and 1,000 of PROBE's own are
 * added, with EXPLAIN ANALYZE of every hot query on the grown tables.
 */
export async function benchGrowth(context: BenchContext & { serviceDatabaseUrl: string }) {
  const base = `http://127.0.0.1:${context.service.port}`;
  const prisma = createDatabaseClient(context.serviceDatabaseUrl);
  const { client, key } = await createApiClient({ prisma }, { name: "bench-growth", scopes: ["admin"] }).finally(() =>
    prisma.$disconnect(),
  );
  const authorization = `Bearer ${key}`;
  for (const [exerciseId, i] of [
    ["alpine-una-vez", 0],
    ["alpine-interactivo", 1],
    ["example2-detenido-con-kill", 2],
  ] as const) {
    const response = await fetch(`${base}/v1/exercises/${exerciseId}/submissions`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({ learnerId: PROBE, containerName: `growth-nobody-${i}` }),
    });
    if (response.status !== 201) throw new Error(`growth probe submission: ${response.status}`);
  }
  const reads = [
    { name: "progress", url: `${base}/v1/learners/${PROBE}/progress` },
    { name: "submission list, first page of 20", url: `${base}/v1/learners/${PROBE}/submissions?limit=20` },
  ];
  const measure = async () => {
    const measured: { name: string; p50: number; p90: number }[] = [];
    for (const read of reads) measured.push({ name: read.name, ...(await sequentialLatency(read.url, authorization)) });
    return measured;
  };
  const db = new pg.Client({ connectionString: context.serviceDatabaseUrl });
  await db.connect();
  let before: Awaited<ReturnType<typeof measure>>;
  let explains: { query: string; plan: string }[];
  try {
    // The probe's first page is full before and after, so both measure the same answer size.
    await db.query(INSERT_SUBMISSIONS, [client.id, PROBE, 25]);
    before = await measure();
    await seed(db, client.id);
    explains = await explainHotQueries(db, client.id, key);
  } finally {
    await db.end();
  }
  const after = await measure();

  const rows: TargetRow[] = before.map((empty, i) => {
    const grown = after[i] as (typeof after)[number];
    const factor = grown.p50 / empty.p50;
    return {
      target: `Growth: ${empty.name} p50, grown / before`,
      value: `${factor.toFixed(2)}× (${grown.p50.toFixed(2)} ms)`,
      goal: "≤ 1.5×",
      baseline: `before growth ${empty.p50.toFixed(2)} ms`,
      met: factor <= 1.5,
    };
  });
  const planText = explains.map((e) => `#### ${e.query}\n\n\`\`\`\n${e.plan}\n\`\`\``).join("\n\n");
  const table = [
    `## Growth: one learner, one request at a time (${SAMPLES} requests after ${WARMUP} to warm up), before and after ` +
      `${LEARNERS * SUBMISSIONS_PER_LEARNER} submissions from ${LEARNERS} learners and ${HEAVY_SUBMISSIONS} of its own`,
    "",
    markdownTable(
      ["read", "p50 before", "p90 before", "p50 after", "p90 after"],
      before.map((empty, i) => [
        empty.name,
        `${empty.p50.toFixed(2)} ms`,
        `${empty.p90.toFixed(2)} ms`,
        `${(after[i]?.p50 ?? 0).toFixed(2)} ms`,
        `${(after[i]?.p90 ?? 0).toFixed(2)} ms`,
      ]),
    ),
    "",
    "### EXPLAIN ANALYZE on the grown tables",
    "",
    planText,
    "",
  ].join("\n");
  console.log(`\n${table}\n`);
  return { name: "growth", before, after, targets: rows, explains, table };
}

const WARMUP = 100;
const SAMPLES = 500;

/** Latency of one request at a time, measured in this process to a hundredth of a millisecond. */
async function sequentialLatency(url: string, authorization: string) {
  const timings: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
    if (i >= WARMUP) timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  const at = (q: number) => timings[Math.floor(q * timings.length)] as number;
  return { p50: at(0.5), p90: at(0.9) };
}

// Rows shaped like real ones: the checks, hints and evidence of the probe's own first grading.
const INSERT_SUBMISSIONS = `
  INSERT INTO submissions (id, client_id, learner_id, exercise_id, container_name, passed, score, max_score,
                           checks, hints, evidence, language, graded_at, duration_ms)
  SELECT gen_random_uuid(), $1::uuid, learner, exercise, 'example2', n % 3 = 0, (n % 6), 5,
         real.checks, real.hints, real.evidence, 'es', timestamp '2026-10-01' + n * interval '17 seconds', 4
    FROM (SELECT checks, hints, evidence FROM submissions WHERE client_id = $1::uuid AND learner_id = '${PROBE}'
           ORDER BY graded_at LIMIT 1) real,
         (SELECT n, learner,
                 (ARRAY['alpine-una-vez','alpine-interactivo','example2-detenido-con-kill','example2-en-segundo-plano',
                        'imagen-etiquetada','red-definida','volumen-de-datos','web-en-puerto-8080'])[1 + n % 8] AS exercise
            FROM (SELECT n, $2::text AS learner FROM generate_series(1, $3::int) n) s) t`;

async function seed(db: pg.Client, clientId: string) {
  const started = Date.now();
  log(`seeding ${LEARNERS} learners with ${SUBMISSIONS_PER_LEARNER} submissions each`);
  await db.query(
    `INSERT INTO learners (client_id, id) SELECT $1::uuid, 'growth-' || n FROM generate_series(1, $2::int) n`,
    [clientId, LEARNERS],
  );
  for (let learner = 1; learner <= LEARNERS; learner++) {
    if (learner % 250 === 0) log(`  ${learner} of ${LEARNERS} learners seeded`);
    await db.query(INSERT_SUBMISSIONS, [clientId, `growth-${learner}`, SUBMISSIONS_PER_LEARNER]);
  }
  await db.query(INSERT_SUBMISSIONS, [clientId, PROBE, HEAVY_SUBMISSIONS]);
  await db.query(
    `INSERT INTO exercise_progress (client_id, learner_id, exercise_id, attempts, best_score, max_score, passed,
                                    first_passed_at, last_submitted_at)
     SELECT client_id, learner_id, exercise_id, count(*), max(score), 5, bool_or(passed), min(graded_at), max(graded_at)
       FROM submissions WHERE client_id = $1::uuid AND learner_id LIKE 'growth-%' AND learner_id <> $2
      GROUP BY client_id, learner_id, exercise_id`,
    [clientId, PROBE],
  );
  log(`seeding ${DELIVERED_WEBHOOK_ROWS} delivered webhook rows and 20 pending ones`);
  const endpoint = randomUUID();
  await db.query(
    `INSERT INTO webhook_endpoints (id, client_id, url, events, secret)
     VALUES ($1, $2::uuid, 'https://lms.example/hooks', ARRAY['lesson.completed'], 'bench')`,
    [endpoint, clientId],
  );
  await db.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event, payload, status, attempts, next_attempt_at, delivered_at)
     SELECT gen_random_uuid(), $1::uuid, gen_random_uuid(), 'lesson.completed', '{}'::jsonb,
            (CASE WHEN n <= $2::int THEN 'delivered' ELSE 'pending' END)::webhook_delivery_status, 1,
            CASE WHEN n <= $2::int THEN now() - interval '1 day' ELSE now() + interval '1 hour' END,
            CASE WHEN n <= $2::int THEN now() - interval '1 day' END
       FROM generate_series(1, $2::int + 20) n`,
    [endpoint, DELIVERED_WEBHOOK_ROWS],
  );
  await db.query("ANALYZE");
  log(`seeded in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function explainHotQueries(db: pg.Client, clientId: string, key: string) {
  // Only the statement's text is explained: a statement of the service, or a query of the benchmark's own.
  const explain = async <P extends readonly unknown[]>(
    query: string,
    statement: Pick<Statement<P, unknown>, "text">,
    params: P,
  ) => {
    // Inside a transaction that is rolled back: the grading write is explained without being stored.
    await db.query("BEGIN");
    try {
      const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${statement.text}`, [...params]);
      return { query, plan: rows.map((row: { "QUERY PLAN": string }) => row["QUERY PLAN"]).join("\n") };
    } finally {
      await db.query("ROLLBACK");
    }
  };
  const page = (cursor?: { at: Date; id: string }) => ({ limit: 20, ...(cursor ? { cursor } : {}) });
  const middle = await db.query<{ at: Date; id: string }>(
    `SELECT graded_at AT TIME ZONE 'UTC' AS at, id FROM submissions WHERE client_id = $1 AND learner_id = $2
      ORDER BY graded_at DESC, id DESC OFFSET 500 LIMIT 1`,
    [clientId, PROBE],
  );
  const cursor = middle.rows[0];
  if (!cursor) throw new Error("no middle submission to page from");
  log(`EXPLAIN ANALYZE of the hot queries (cursor ${encodeCursor(cursor)})`);
  const list = (label: string, query: Parameters<typeof submissionListStatement>[0], at = page()) => {
    const { statement, params } = submissionListStatement(query, at);
    return explain(label, statement, params);
  };
  const listQuery = { clientId, learnerId: PROBE, order: "newest" as const };
  const submission = randomUUID();
  const gradedAt = new Date().toISOString();
  return [
    await explain("API-key lookup (on a cache miss)", findClientByKeyHash, [hashApiKey(key)]),
    await explain("Lab lookup (on a cache miss)", findLabOf, [clientId, PROBE]),
    await explain(`Progress read of a learner with ${HEAVY_SUBMISSIONS} submissions`, readProgressOf, [
      clientId,
      PROBE,
    ]),
    await list("Submission list, first page, newest first", listQuery),
    await list("Submission list, the page after the 500th submission", listQuery, page(cursor)),
    await list("Submission list of one exercise, first page", { ...listQuery, exerciseId: "alpine-una-vez" }),
    await list("xAPI statements, oldest first, first page", { ...listQuery, order: "oldest" }),
    await explain("Grading: learner insert and advisory lock", lockLearnerExercise, [
      clientId,
      PROBE,
      `${clientId}/${PROBE}/alpine-una-vez`,
    ]),
    await explain("Grading: the write (progress before, submission, progress upsert, events)", recordGradedSubmission, [
      clientId,
      PROBE,
      "alpine-una-vez",
      submission,
      "alpine-una-vez",
      true,
      5,
      5,
      "[]",
      "[]",
      "{}",
      "es",
      gradedAt,
      3,
      JSON.stringify({ id: randomUUID(), type: "submission.graded", createdAt: gradedAt, data: {} }),
      JSON.stringify({ id: randomUUID(), type: "exercise.passed", createdAt: gradedAt, data: {} }),
    ]),
    await explain(
      `Webhook claim's inner select, ${DELIVERED_WEBHOOK_ROWS} delivered rows and 20 pending`,
      {
        text: `SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() + interval '2 hours'
                ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED`,
      },
      [],
    ),
  ];
}
