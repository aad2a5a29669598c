// `npm run bench`: every benchmark with its baselines, measured in this one run on this machine.
// Options: --only=lesson,page,grading,exercises,progress,growth,sandboxes  --rounds=3 --duration=4 (seconds per target per round)
//          --sandboxes-idle=50 (idle sandboxes started at once; sandboxes need root and run in the test lab)
//          --connections=32 (lesson)  --cpu-prof (the service writes a V8 CPU profile per run into bench/results)
//          --service-root=DIR (measure the service of another checkout, e.g. main, with this run's baselines;
//          that checkout needs node_modules and its generated Prisma client)
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { findFreePort } from "../src/runtime/find-free-port.js";
import { benchEngineCalls } from "./engine-calls.js";
import { benchExercises } from "./exercises.js";
import { benchGrading } from "./grading.js";
import { benchGrowth } from "./growth.js";
import { benchLessons } from "./lessons.js";
import { benchPage } from "./page.js";
import { benchProgress } from "./progress.js";
import { benchSandboxes } from "./sandbox-section.js";
import { startBenchDatabaseServer } from "./support/database.js";
import { log, projectRoot, startNodeProcess } from "./support/processes.js";
import { machineDescription, type TargetRow, targetTable, writeResults } from "./support/report.js";
import { startStatementCounter } from "./support/statement-counter.js";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "lesson,page,grading,exercises,progress,growth,sandboxes" },
    "sandboxes-idle": { type: "string", default: "50" },
    duration: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    "cpu-prof": { type: "boolean", default: false },
    "service-root": { type: "string" },
  },
});
const only = new Set(values.only.split(","));
const durationSeconds = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const started = Date.now();
const machine = machineDescription();
log(`machine: ${JSON.stringify(machine)}`);
const directory = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-bench-"));
const database = await startBenchDatabaseServer(directory);
const cleanups: (() => Promise<void>)[] = [() => database.stop()];
const sections: (Record<string, unknown> & { table: string; targets?: TargetRow[] })[] = [];
let failed = false;

try {
  log(
    `starting the service: node --import tsx src/server.ts in ${values["service-root"] ?? projectRoot}, on its own database`,
  );
  const serviceDatabaseUrl = await database.createDatabase("service");
  // The service reaches PostgreSQL through a relay that counts its SQL statements (progress benchmark).
  const counter = await startStatementCounter(database.address);
  cleanups.push(() => counter.stop());
  const service = await startNodeProcess({
    name: "service",
    entry: "src/server.ts",
    env: {
      DATABASE_URL: counter.relay(serviceDatabaseUrl),
      DATA_DIR: path.join(directory, "data"),
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      // All load comes from 127.0.0.1, i.e. one anonymous client: lift its cap, keep the limiter's cost.
      RATE_LIMIT_PER_MINUTE: "1000000",
      // One API client grades for every benched learner at 16 in flight, as the baseline script does:
      // the per-client line would otherwise hold the service to 8 and compare unlike with unlike.
      GRADINGS_IN_FLIGHT_PER_CLIENT: "16",
    },
    port: await findFreePort(),
    readyPath: "/ready",
    logFile: path.join(directory, "service.log"),
    // The profile is written when the service exits, i.e. after the whole run.
    cwd: values["service-root"],
    nodeArgs: values["cpu-prof"] ? ["--cpu-prof", "--cpu-prof-dir", path.join(projectRoot, "bench", "results")] : [],
  });
  cleanups.unshift(() => service.stop());
  log(`service pid ${service.pid} on 127.0.0.1:${service.port}, log level ${process.env.LOG_LEVEL ?? "info"}`);
  const context = { directory, connections, durationSeconds, rounds, service, statements: counter.statements };

  if (only.has("lesson")) sections.push(await benchLessons(context));
  if (only.has("page")) sections.push(await benchPage(context));

  const paths = ((await (await fetch(`http://127.0.0.1:${service.port}/openapi.json`)).json()) as { paths: object })
    .paths;
  // Grading and progress need a Docker engine with the alpine image (bash scripts/docker-lab.sh up).
  const ready = (await (await fetch(`http://127.0.0.1:${service.port}/ready`)).json()) as {
    dependencies: { docker: { status: string; reason?: string } };
  };
  const engineUp = ready.dependencies.docker.status === "up";
  if (!engineUp && (only.has("grading") || only.has("exercises") || only.has("progress"))) {
    log(
      `SKIPPED grading and progress: the Docker engine is down (${ready.dependencies.docker.reason ?? "?"}); run bash scripts/docker-lab.sh up`,
    );
  }
  const gradingExists = "/v1/exercises/{id}/submissions" in paths;
  if (only.has("grading") && engineUp) {
    if (gradingExists) sections.push(await benchGrading({ ...context, database, serviceDatabaseUrl }));
    else log("SKIPPED grading: the service has no POST /v1/exercises/{id}/submissions yet");
  }
  if (only.has("exercises") && engineUp && gradingExists) {
    sections.push(await benchExercises({ ...context, serviceDatabaseUrl }));
    sections.push(await benchEngineCalls());
  }
  if (only.has("progress") && engineUp) {
    if (gradingExists && "/v1/learners/{learnerId}/progress" in paths) {
      sections.push(await benchProgress({ ...context, database, serviceDatabaseUrl }));
    } else log("SKIPPED progress: the service has no GET /v1/learners/{learnerId}/progress yet");
  }
  // Last: it grows the service's database by 100,000 submissions.
  if (only.has("growth") && engineUp && gradingExists) {
    sections.push(await benchGrowth({ ...context, serviceDatabaseUrl }));
  }
  // After the service's benchmarks: fifty idle engines would otherwise share the cores with them.
  if (only.has("sandboxes")) {
    const section = await benchSandboxes({ idle: Number(values["sandboxes-idle"]) });
    if (section) sections.push(section);
  }
} catch (error) {
  failed = true;
  log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  log(`logs kept in ${directory}`);
} finally {
  for (const cleanup of cleanups) await cleanup().catch((error) => log(`cleanup failed: ${String(error)}`));
  if (!failed) await rm(directory, { recursive: true, force: true });
}
if (failed) process.exit(1);

const file = await writeResults("bench", {
  durationSeconds,
  rounds,
  connections,
  sections,
  targets: sections.flatMap((section) => section.targets ?? []),
});
console.log("");
for (const section of sections) console.log(section.table);
const targets = sections.flatMap((section) => section.targets ?? []);
console.log(`\n## Targets, this run\n\n${targetTable(targets)}\n`);
log(`results written to ${file}; the whole run took ${((Date.now() - started) / 1000).toFixed(0)} s`);
