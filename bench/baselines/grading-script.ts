// Baseline for the grading benchmark: the same library calls the route makes (engine reads,
// grading, the one-transaction write), from a plain loop at the same concurrency, without
// HTTP or Fastify. Driven over stdin: "run <seconds>" answers one JSON line; "exit" ends it.
import { createInterface } from "node:readline";
import { loadConfig } from "../../src/config/config.js";
import { loadCurriculum } from "../../src/content/load-curriculum.js";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { createDockerEngine } from "../../src/docker/engine.js";
import { submitExercise } from "../../src/submissions/submit-exercise.js";

const config = loadConfig();
const databaseUrl = process.env.DATABASE_URL;
const clientId = process.env.BENCH_CLIENT_ID ?? "";
const exerciseId = process.env.BENCH_EXERCISE;
const learners = Number(process.env.BENCH_LEARNERS);
const concurrency = Number(process.env.BENCH_CONCURRENCY);
if (!databaseUrl || !clientId || !exerciseId || !learners || !concurrency) throw new Error("missing BENCH_* settings");

const curriculum = await loadCurriculum(config.contentDir);
const gradedExercise: string = exerciseId;
const db = createDatabaseClient(databaseUrl);
const engine = createDockerEngine(config.docker);
let next = 0;

async function runFor(seconds: number) {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = next++ % learners;
      const t0 = performance.now();
      try {
        // What POST /v1/exercises/{id}/submissions does once the request is parsed and authenticated.
        await submitExercise(
          { db, course: curriculum, engineFor: async () => engine },
          {
            clientId,
            mayUseSharedEngine: true,
            exerciseId: gradedExercise,
            learnerId: `bench-learner-${i}`,
            containerName: `bench-grading-${i}`,
            language: "es",
            idempotencyKey: undefined,
            xapiHomePage: "https://aprendiendo-docker.dev/learners",
          },
        );
        latencies.push(performance.now() - t0);
      } catch {
        failures++;
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
engine.close();
await db.$disconnect();
process.exit(0); // stdin stays open in the parent; do not wait for it
