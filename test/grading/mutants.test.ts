import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadCurriculum } from "../../src/content/load-curriculum.js";
import { createDockerEngine, type DockerEngine } from "../../src/docker/engine.js";
import type { ContainerExercise } from "../../src/grading/exercise.js";
import { gradeSubmission } from "../../src/grading/grade-submission.js";
import { deriveMutants, type Mutant } from "../../src/grading/mutants.js";
import { observeContainer } from "../../src/submissions/observe-container.js";
import { type LearnerEngine, learnerFolder, needsTerminal, shellIn } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { type MutantResult, renderMutationReport } from "./mutation-report.js";

/**
 * Mutation testing of the grader: every mutant of every exercise's accepted attempts
 * (src/grading/mutants.ts) is typed on a real engine and graded by the real grader (the service's
 * observeContainer and gradeSubmission). Each must fail, or be declared equivalent in its exercise's
 * YAML with the reason; one that earns full marks undeclared fails this test.
 *
 * The mutants run in lanes: each an engine of this test's own, in a network of its own with a
 * registry on its 127.0.0.1:5000, so no port, tag, network or Compose project meets the attempts
 * test's or another lane's. A lane takes one exercise at a time and runs its mutants one after
 * another, and after each one, passed, failed or timed out, it removes everything the mutant made
 * (containers, volumes, networks, images beyond the starting ones, the registry's contents): a
 * mutant never inherits what an earlier one left, such as a volume that already holds the file.
 * A mutant's commands get SCRIPT_TIMEOUT_MS (an attached server, a health check that never turns
 * healthy), then whatever they left is graded, as a learner who gives up and submits would be.
 * One cut off that earns full marks undeclared runs again with SLOW_MACHINE_TIMEOUT_MS, and that
 * second run's grade counts: on a busy machine `docker compose up -d --build` alone can take the
 * first limit, and a mutant cut off before its `docker stop` leaves the right answer behind.
 *
 * `WRITE_MUTATION_REPORT=1` (npm run mutants) writes docs/mutation-report.md from the run.
 */

const SCRIPT_TIMEOUT_MS = 10_000;
const SLOW_MACHINE_TIMEOUT_MS = 6 * SCRIPT_TIMEOUT_MS;
const LANES = 3;
/** What the attempts start from; copied into each lane's engine. */
const IMAGES = [
  "alpine:latest",
  "alpine:3.20",
  "nginx:latest",
  "nginx:1.27-alpine",
  "redis:7-alpine",
  "hello-world",
  // The course's app (content/app/contador) builds on it.
  "node:20-bookworm-slim",
];
/**
 * Every process in a lane's containers may hold at most this much data: a mutant that drops `-m 16m`
 * from `tail /dev/zero` would otherwise take the machine's memory before it is graded.
 */
const DATA_LIMIT = "data=268435456:268435456";

/** MUTANTS_ONLY=id,id: only these exercises, while working on them. */
const only = process.env.MUTANTS_ONLY?.split(",");
const exercises = [...(await loadCurriculum("content")).exercises.values()].filter(
  (exercise): exercise is ContainerExercise =>
    exercise.kind === "container" && (only === undefined || only.includes(exercise.id)),
);

interface Lane {
  lab: SecondEngine;
  /** The engine's own API, for the wipe between mutants; grading goes through `engine`, the service's client. */
  api: Docker;
  learner: LearnerEngine;
  engine: DockerEngine;
  registry: ChildProcess;
  registryDir: string;
}
const lanes: Lane[] = [];
const freeLanes: Lane[] = [];
const waitingForLane: (() => void)[] = [];
const results = new Map<string, MutantResult[]>();
const cleanupMs: number[] = [];
const started = performance.now();

async function startLane(): Promise<Lane> {
  const lab = await startSecondEngine({
    network: "bridge",
    images: IMAGES,
    extraArgs: ["--default-ulimit", DATA_LIMIT],
  });
  const learner = { host: lab.host, netns: await lab.netns() };
  const registryDir = await mkdtemp(path.join(os.tmpdir(), "mutants-registry-"));
  // The same registry as the lab's (scripts/test-lab.sh), on the lane's own 127.0.0.1:5000.
  execFileSync("bash", ["scripts/docker-lab.sh", "registry-config", registryDir, "127.0.0.1:5000"]);
  const registry = spawn(
    "nsenter",
    [`--net=${learner.netns}`, "docker-registry", "serve", `${registryDir}/config.yml`],
    {
      stdio: "ignore",
    },
  );
  const lane = {
    lab,
    api: new Docker({ socketPath: lab.host.replace(/^unix:\/\//, "") }),
    learner,
    engine: createDockerEngine({ host: lab.host, timeoutMs: 10_000, concurrency: 8 }),
    registry,
    registryDir,
  };
  const deadline = Date.now() + 30_000;
  while ((await shellRun(lane, ["curl", "-sf", "http://127.0.0.1:5000/v2/"], 5000)).code !== 0) {
    if (Date.now() > deadline) throw new Error("the lane's registry did not answer within 30 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return lane;
}

beforeAll(async () => {
  lanes.push(...(await Promise.all(Array.from({ length: Math.min(LANES, exercises.length) }, startLane))));
  freeLanes.push(...lanes);
}, 180_000);

afterAll(async () => {
  await Promise.all(
    lanes.map(async (lane) => {
      lane.registry.kill("SIGTERM");
      lane.engine.close();
      await lane.lab.dispose();
      await rm(lane.registryDir, { recursive: true, force: true }).catch(() => {});
    }),
  );
  const seconds = Math.round((performance.now() - started) / 1000);
  const report = renderMutationReport(
    exercises.filter((exercise) => results.has(exercise.id)),
    results,
  );
  const all = [...results.values()].flat();
  const total = (values: number[]) => Math.round(values.reduce((sum, value) => sum + value, 0) / 1000);
  const slowest = [...results.entries()]
    .flatMap(([exercise, outcomes]) => outcomes.map((o) => ({ exercise, ...o })))
    .sort((a, b) => b.typedMs - a.typedMs)
    .slice(0, 10)
    .map((o) => `  ${o.typedMs} ms ${o.exercise} "${o.id}": ${o.typed}`);
  console.log(
    `${report}\nmutation run: ${seconds} s of wall time in ${lanes.length} lanes; mutants' commands ` +
      `${total(all.map((o) => o.typedMs))} s, grading ${total(all.map((o) => o.gradedMs))} s, ` +
      `clean-up ${total(cleanupMs)} s; slowest:\n${slowest.join("\n")}`,
  );
  if (process.env.WRITE_MUTATION_REPORT === "1") await writeFile("docs/mutation-report.md", report);
}, 60_000);

async function withLane<T>(work: (lane: Lane) => Promise<T>): Promise<T> {
  let lane = freeLanes.pop();
  while (!lane) {
    await new Promise<void>((resolve) => waitingForLane.push(resolve));
    lane = freeLanes.pop();
  }
  try {
    return await work(lane);
  } finally {
    freeLanes.push(lane);
    waitingForLane.shift()?.();
  }
}

/**
 * Runs a command in the lane's engine and network, in its own process group, killed whole past its
 * deadline: an orphan such as `docker wait` must not keep the run waiting. Keeps the output's last
 * 2000 characters.
 */
function shellRun(lane: Pick<Lane, "learner">, argv: string[], timeoutMs: number, cwd?: string, input?: string) {
  const shell = shellIn(lane.learner, argv[0] as string, argv.slice(1));
  return new Promise<{ code: number | null; output: string; timedOut: boolean }>((resolve) => {
    const child = spawn(shell.command, shell.args, { cwd, env: shell.env, detached: true, stdio: "pipe" });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-2000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    // A command that exits before reading its input closes the pipe: that is no error here.
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {}
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      killGroup();
      resolve({ code, output, timedOut });
    });
  });
}

/**
 * Everything a mutant may have made, removed through the Engine API (a CLI call per step cost seconds
 * on a busy machine): the lane is as it started but for the build cache.
 */
async function wipe(lane: Lane) {
  const api = lane.api;
  const containers = await api.listContainers({ all: true });
  await Promise.all(
    containers.map((c) =>
      api
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  await api.pruneVolumes({ filters: { all: ["true"] } });
  await api.pruneNetworks();
  const keep = new Set(IMAGES.map((image) => (image.includes(":") ? image : `${image}:latest`)));
  for (const image of await api.listImages()) {
    for (const tag of image.RepoTags ?? []) {
      if (!keep.has(tag))
        await api
          .getImage(tag)
          .remove({ force: true })
          .catch(() => {});
    }
  }
  await api.pruneImages();
  await rm(path.join(lane.registryDir, "data"), { recursive: true, force: true });
  await mkdir(path.join(lane.registryDir, "data"), { recursive: true });
}

async function runMutant(lane: Lane, exercise: ContainerExercise, mutant: Mutant, timeoutMs: number) {
  const dir = await learnerFolder(exercise);
  const began = performance.now();
  let typedAt = began;
  try {
    await writeFile(path.join(dir, "commands.sh"), `${mutant.run.join("\n")}\n`);
    const argv = needsTerminal(mutant.run)
      ? ["script", "-qec", "sh -e commands.sh", "/dev/null"]
      : ["sh", "-e", "commands.sh"];
    const typed = await shellRun(lane, argv, timeoutMs, dir, "exit\n");
    typedAt = performance.now();
    const grade = gradeSubmission(exercise, await observeContainer(lane.engine, exercise, undefined));
    return {
      id: mutant.id,
      from: mutant.from,
      survived: grade.status === "passed",
      failed: grade.checks.filter((check) => !check.passed).map((check) => check.id),
      typed: typed.timedOut ? "timed out" : `exit ${typed.code}`,
      output: typed.output,
      typedMs: Math.round(typedAt - began),
      gradedMs: Math.round(performance.now() - typedAt),
    };
  } finally {
    const cleaning = performance.now();
    await wipe(lane);
    await rm(dir, { recursive: true, force: true });
    cleanupMs.push(performance.now() - cleaning);
  }
}

describe.concurrent("every mutant of every accepted attempt, on the real engine", () => {
  it.for(exercises.map((exercise) => exercise.id))("%s", { timeout: 900_000 }, (id, { expect }) =>
    withLane(async (lane) => {
      const exercise = exercises.find((e) => e.id === id) as ContainerExercise;
      const declared = new Set(exercise.equivalent.map((entry) => entry.mutant));
      const outcomes: MutantResult[] = [];
      for (const mutant of deriveMutants(exercise)) {
        let outcome = {
          ...(await runMutant(lane, exercise, mutant, SCRIPT_TIMEOUT_MS)),
          declared: declared.has(mutant.id),
        };
        if (outcome.survived && !outcome.declared && outcome.typed === "timed out") {
          const again = await runMutant(lane, exercise, mutant, SLOW_MACHINE_TIMEOUT_MS);
          console.log(
            `mutants: ${id} "${mutant.id}" was cut off at ${SCRIPT_TIMEOUT_MS} ms with full marks; ` +
              `given ${SLOW_MACHINE_TIMEOUT_MS} ms, its commands ${again.typed} in ${again.typedMs} ms and it ` +
              `${again.survived ? "survived" : "was killed"}`,
          );
          outcome = { ...again, declared: outcome.declared };
        }
        outcomes.push(outcome);
        if (outcome.survived && !outcome.declared) {
          expect
            .soft(
              outcome.id,
              `${id}: the mutant "${mutant.id}" (of "${mutant.from}") earns full marks and is not declared ` +
                `equivalent:\n  ${mutant.run.join("\n  ")}\n  typed: ${outcome.typed}`,
            )
            .toBe("killed or declared");
        }
      }
      results.set(id, outcomes);
      const killed = outcomes.filter((o) => !o.survived).length;
      console.log(`mutants: ${id}, ${killed} of ${outcomes.length} killed`);
    }),
  );
});
