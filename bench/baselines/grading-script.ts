// Baseline for the grading benchmark: what a lean script needs to grade one submission, with none
// of the service around it. Plain dockerode inspects the container (the exercise is inspect-only),
// the pure grader scores the facts, and plain pg sends the service's own three grading statements
// (the same SQL text, prepared: the lock, the submission with its progress and events, and what the
// grade leaves for learning platforms, with its xAPI statement) in one transaction. No HTTP, no
// Fastify, no Prisma, no auth.
// Driven over stdin: "run <seconds>" answers one JSON line; "exit" ends it.
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import Docker from "dockerode";
import pg from "pg";
import { loadConfig } from "../../src/config/config.js";
import { loadCurriculum } from "../../src/content/load-curriculum.js";
import type { Sql } from "../../src/db/sql.js";
import { containerFactsFromInspect } from "../../src/docker/container-facts.js";
import { parseDockerHost } from "../../src/docker/engine.js";
import { gradeSubmission } from "../../src/grading/grade-submission.js";
import { recordGradeForLms } from "../../src/submissions/grade-outbox.js";
import { submissionInWords } from "../../src/submissions/present-submission.js";
import { asStored, lockLearnerExercise, recordGradedSubmission } from "../../src/submissions/submission-store.js";

const config = loadConfig();
const databaseUrl = process.env.DATABASE_URL;
const clientId = process.env.BENCH_CLIENT_ID ?? "";
const exerciseId = process.env.BENCH_EXERCISE ?? "";
const learners = Number(process.env.BENCH_LEARNERS);
const concurrency = Number(process.env.BENCH_CONCURRENCY);
const containerPrefix = process.env.BENCH_CONTAINER_PREFIX;
if (!databaseUrl || !clientId || !exerciseId || !learners || !concurrency || !containerPrefix) {
  throw new Error("missing BENCH_* settings");
}

const curriculum = await loadCurriculum(config.contentDir);
const found = curriculum.exercises.get(exerciseId);
if (found?.kind !== "container") throw new Error(`no container exercise ${exerciseId}`);
const exercise = found;
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
const docker = new Docker(parseDockerHost(config.docker.host).modemOptions);
let next = 0;

async function gradeOnce(i: number) {
  const learnerId = `bench-learner-${i}`;
  const containerName = `${containerPrefix}-${i}`;
  const started = performance.now();
  const facts = containerFactsFromInspect(await docker.getContainer(containerName).inspect());
  const grade = gradeSubmission(exercise, { containerName, facts });
  const id = randomUUID();
  const gradedAt = new Date().toISOString();
  const passed = grade.status === "passed";
  const durationMs = Math.round(performance.now() - started);
  const answer = { id, exerciseId, learnerId, containerName, passed, score: grade.score, gradedAt, durationMs };
  const event = (type: string) => JSON.stringify({ id: randomUUID(), type, createdAt: gradedAt, data: answer });
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query({
      name: lockLearnerExercise.name,
      text: lockLearnerExercise.text,
      values: [clientId, learnerId, `${clientId}/${learnerId}/${exerciseId}`],
    });
    await client.query({
      name: recordGradedSubmission.name,
      text: recordGradedSubmission.text,
      values: [
        clientId,
        learnerId,
        exerciseId,
        id,
        containerName,
        passed,
        grade.score,
        grade.maxScore,
        JSON.stringify(grade.checks),
        JSON.stringify(grade.hints),
        JSON.stringify(grade.evidence),
        "es",
        gradedAt,
        durationMs,
        event("submission.graded"),
        event("exercise.passed"),
      ],
    });
    const onClient: Sql = {
      rows: async (statement, params) =>
        (await client.query({ name: statement.name, text: statement.text, values: [...params] })).rows,
    };
    const stored = asStored({
      id,
      clientId,
      learnerId,
      exerciseId,
      containerName,
      language: "es",
      grade,
      gradedAt: new Date(gradedAt),
      durationMs,
    });
    await recordGradeForLms(onClient, {
      clientId,
      submission: submissionInWords(stored, exercise),
      exercise,
      xapiHomePage: config.xapiHomePage,
    });
    await client.query("COMMIT");
  } finally {
    client.release();
  }
  return JSON.stringify(answer);
}

async function runFor(seconds: number) {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await gradeOnce(next++ % learners);
        latencies.push(performance.now() - t0);
      } catch (error) {
        // The first one says why; the count says how often.
        if (failures++ === 0) console.error(`baseline grading failed: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { completed: latencies.length, failures, seconds: (performance.now() - started) / 1000, latencies };
}

console.log(JSON.stringify({ ready: true }));
for await (const line of createInterface({ input: process.stdin })) {
  const [command, argument] = line.trim().split(" ");
  if (command === "run") console.log(JSON.stringify(await runFor(Number(argument))));
  if (command === "exit") break;
}
await pool.end();
process.exit(0); // stdin stays open in the parent; do not wait for it
