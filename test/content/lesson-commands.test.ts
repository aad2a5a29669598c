import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { NORUN_REASONS } from "../../src/content/code-info.js";
import { type Curriculum, loadCurriculum } from "../../src/content/load-curriculum.js";
import { createDockerEngine } from "../../src/docker/engine.js";
import { gradeSubmission } from "../../src/grading/grade-submission.js";
import { observeContainer } from "../../src/submissions/observe-container.js";
import { copyCourseApp } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { type LessonStep, lessonSteps } from "./lesson-steps.js";

/**
 * Every shell block of every lesson, typed in course order as a learner would, on a throw-away engine
 * per module, the modules side by side, each engine in its own network namespace (its `-p 8080:80`
 * and `curl localhost:8080` never meet another's), with the stand-in images of scripts/docker-lab.sh.
 * A command fails the test when it fails and the lesson does not show an error, or succeeds where the
 * lesson shows one. Blocks marked `norun=REASON` are listed, never silently skipped. Beside them,
 * every exercise's reference solution (its first accept) runs on an engine of its own and must earn
 * full marks.
 */

const run = promisify(execFile);
/** The images a learner's sandbox starts with (SANDBOX_PRELOAD_IMAGES' default): the lessons must run on them. */
const IMAGES = loadConfig({}).sandboxes.preloadImages;
/** Only for the modules that build the course's app: it is large, and most modules never use it. */
const NODE_IMAGE = "node:20-bookworm-slim";
const LESSON_TIMEOUT_MS = 90_000;
/**
 * A module's lessons, or every exercise's solution, engine start-up included. Six engines run side
 * by side here, beside another test file: at a load of 10 a module took over 110 s.
 */
const MODULE_TIMEOUT_MS = 300_000;
// Loaded before the tests are collected: there is one test per module.
const curriculum: Curriculum = await loadCurriculum("content");
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "lesson-commands-"));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A throw-away engine with the stand-in images, in its own network namespace, and the env that reaches it. */
async function withEngine<T>(
  label: string,
  images: string[],
  use: (engine: { host: string; netns: string; env: NodeJS.ProcessEnv }) => Promise<T>,
) {
  const started = Date.now();
  const engine: SecondEngine = await startSecondEngine({ network: "bridge", images });
  try {
    const env = { ...process.env, DOCKER_HOST: engine.host, HOME: work };
    console.log(
      `lesson-commands: ${label}: engine with ${images.length} stand-in images ready in ${Date.now() - started} ms`,
    );
    return await use({ host: engine.host, netns: await engine.netns(), env });
  } finally {
    await engine.dispose();
  }
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/**
 * A learner runs the next command once the server it reaches answers; here that wait is on the event,
 * in bash. `await_listening PROBE [ARG]` polls PROBE, which prints the ports that do not listen yet
 * (nothing once all do), and returns when it prints nothing. It reads the containers' sockets instead
 * of sending a request (a `curl localhost:3000` would count a visit), ends on that event only (the
 * lesson's timeout bounds it), and says what it waited for, if it had to: the lesson's log line shows
 * it, and so does a step that the lesson's timeout kept from running. Its probes:
 * - `published_port_pending PORT`: the server behind host port PORT, inside the running container
 *   that publishes it (none: nothing to wait for; the step then shows what a learner would see).
 *   Until it listens, docker-proxy takes each connection and drops it: curl reads "connection reset",
 *   `docker push` reads "EOF".
 * - `exposed_ports_pending`: every running container's server on the TCP ports its image exposes
 *   (nginx on 80, redis on 6379), for a step right after a detached start (`wget http://servidor`,
 *   `docker compose run redis-cli`).
 */
const AWAIT_LISTENING = `listens_in() { [ -n "$(nsenter --net="/proc/$1/ns/net" ss -Hltn "sport = :$2" 2>/dev/null)" ]; }
running_containers() { docker inspect -f "$1" $(docker ps -q --filter status=running) 2>/dev/null; }
published_port_pending() {
  local pid target
  read -r pid target < <(running_containers '{{.State.Pid}}{{range $p, $b := .NetworkSettings.Ports}}{{range $b}} {{.HostPort}}={{$p}}{{end}}{{end}}' |
    awk -v port="$1" '{ for (i = 2; i <= NF; i++) if ($i ~ "^" port "=[0-9]+/tcp$") { split($i, p, "[=/]"); print $1, p[2]; exit } }')
  [ -z "$pid" ] || listens_in "$pid" "$target" || echo "port $target behind host port $1"
}
exposed_ports_pending() {
  local pid ports port
  while read -r pid ports; do
    for port in $ports; do listens_in "$pid" "\${port%/tcp}" || echo "port \${port%/tcp}"; done
  done < <(running_containers '{{.State.Pid}}{{range $p, $_ := .Config.ExposedPorts}} {{$p}}{{end}}' |
    awk '{ printf "%s", $1; for (i = 2; i <= NF; i++) if ($i ~ "/tcp$") printf " %s", $i; print "" }')
}
await_listening() {
  local pending since=""
  while pending=$("$@" | paste -sd, -); [ -n "$pending" ]; do
    [ -n "$since" ] || { since=$(date +%s%3N); echo "waiting for $pending to listen in its container"; }
    sleep 0.2
  done
  [ -z "$since" ] || echo "done waiting after $(($(date +%s%3N) - since)) ms"
}`;

/** The host ports a command reaches, as `localhost:8080` or `127.0.0.1:5000`: a curl, a push to a local registry. */
const hostPorts = (command: string) => [
  ...new Set(Array.from(command.matchAll(/\b(?:localhost|127\.0\.0\.1):(\d+)/g), (match) => match[1])),
];

/** One bash script per lesson: each step records its exit code and output, and `cd` carries over. */
function scriptFor(steps: LessonStep[], dir: string): string {
  const lines = ["set +e", AWAIT_LISTENING, `S=${quote(dir)}`];
  steps.forEach((step, index) => {
    const out = `>"$S/${index}.out" 2>&1`;
    if (step.kind === "skip") return;
    const ports = step.kind === "run" ? hostPorts(step.command) : [];
    for (const port of ports) lines.push(`await_listening published_port_pending ${port} >>"$S/${index}.wait"`);
    if (step.kind === "run" && startsInBackground(steps[index - 1]))
      lines.push(`await_listening exposed_ports_pending >>"$S/${index}.wait"`);
    if (step.kind === "file") {
      lines.push(
        `mkdir -p "$(dirname ${quote(step.path)})" && cat >${quote(step.path)} <<'__LESSON_FILE__'`,
        step.content.replace(/\n$/, ""),
        "__LESSON_FILE__",
      );
    } else if (step.terminalInput !== undefined) {
      lines.push(`script -qec ${quote(step.command)} /dev/null <"$S/${index}.in" ${out}`);
    } else if (step.interrupt) {
      lines.push(`timeout -s INT 3 sh -c ${quote(step.command)} </dev/null ${out}`);
    } else if (step.answer !== undefined) {
      lines.push(`printf '%s\\n' ${quote(step.answer)} | { ${step.command}\n} ${out}`);
    } else {
      lines.push(`{ ${step.command}\n} </dev/null ${out}`);
    }
    lines.push(`echo "${index} $?" >>"$S/status"`);
  });
  return `${lines.join("\n")}\n`;
}

const startsInBackground = (step: LessonStep | undefined) =>
  step?.kind === "run" && /^docker (run|compose up)\b.*\s(-d|--detach)\b/.test(step.command);

/** What the two languages must share: the commands, the files and what each command should do. */
const shape = (steps: LessonStep[]) =>
  steps.map((step) =>
    step.kind === "file" ? `file ${step.path}` : step.kind === "skip" ? `skip ${step.reason}` : JSON.stringify(step),
  );

describe.concurrent("every lesson's commands run as written", () => {
  it("the Spanish and English lessons give the same commands", ({ expect }) => {
    for (const lesson of curriculum.lessons) {
      expect(shape(lessonSteps(lesson.body.en.markdown)), lesson.slug).toEqual(
        shape(lessonSteps(lesson.body.es.markdown)),
      );
    }
  });

  // Each module's lessons run in course order on an engine of their own (later lessons may use what
  // earlier ones left), and the modules run side by side: most of a lesson's time is spent waiting.
  it.for(curriculum.modules.map((m) => m.slug))(
    "module %s, in course order",
    { timeout: MODULE_TIMEOUT_MS },
    async (module, { expect }) => {
      const problems: string[] = [];
      const lessons = curriculum.lessons.filter((l) => l.module === module);
      const images = lessons.some((l) => l.body.es.markdown.includes(NODE_IMAGE)) ? [...IMAGES, NODE_IMAGE] : IMAGES;
      // One folder for the whole module, as a learner keeps theirs: a lesson may go on in the folder
      // an earlier one made (`cd contador`).
      const home = path.join(work, `module-${module}`);
      await mkdir(home, { recursive: true });
      await withEngine(module, images, async ({ netns, env }) => {
        for (const lesson of lessons) {
          const started = Date.now();
          const steps = lessonSteps(lesson.body.es.markdown);
          const dir = path.join(work, String(lesson.order));
          await mkdir(dir, { recursive: true });
          for (const [index, step] of steps.entries()) {
            if (step.kind === "run" && step.terminalInput !== undefined) {
              await writeFile(path.join(dir, `${index}.in`), step.terminalInput);
            }
          }
          await writeFile(path.join(dir, "lesson.sh"), scriptFor(steps, dir));
          await run("nsenter", [`--net=${netns}`, "bash", path.join(dir, "lesson.sh")], {
            cwd: home,
            env,
            timeout: LESSON_TIMEOUT_MS,
          }).catch((error) => problems.push(`${lesson.slug}: the lesson's script did not finish: ${String(error)}`));
          const codes = new Map(
            (await readFile(path.join(dir, "status"), "utf8").catch(() => ""))
              .split("\n")
              .filter(Boolean)
              .map((line) => line.split(" ").map(Number) as [number, number]),
          );
          let ran = 0;
          const skipped: string[] = [];
          const waits: string[] = [];
          for (const [index, step] of steps.entries()) {
            if (step.kind === "skip") {
              skipped.push(`${step.commands.join(" && ")} (${step.reason}: ${NORUN_REASONS[step.reason]})`);
              continue;
            }
            const code = codes.get(index);
            const output = async () =>
              (await readFile(path.join(dir, `${index}.out`), "utf8").catch(() => "")).trim().slice(-600);
            const what = step.kind === "file" ? `writing ${step.path}` : `$ ${step.command}`;
            const waited = (await readFile(path.join(dir, `${index}.wait`), "utf8").catch(() => ""))
              .trim()
              .replaceAll("\n", "; ");
            if (waited) waits.push(`${waited}, before ${what}`);
            if (code === undefined) {
              problems.push(`${lesson.slug}: ${what} never ran${waited ? ` (${waited})` : ""}`);
              continue;
            }
            ran++;
            if (step.kind === "file") {
              if (code !== 0) problems.push(`${lesson.slug}: ${what} failed (${code}): ${await output()}`);
              continue;
            }
            const succeeded = code === 0 || (step.interrupt === true && code === 124);
            if (step.expect === "success" && !succeeded) {
              problems.push(`${lesson.slug}: ${what} failed with ${code}:\n${await output()}`);
            } else if (step.expect === "failure" && succeeded) {
              problems.push(`${lesson.slug}: ${what} succeeded, but the lesson shows an error:\n${await output()}`);
            }
          }
          console.log(
            `lesson-commands: ${String(lesson.order).padStart(2)} ${lesson.slug}: ${ran} steps in ${Date.now() - started} ms` +
              (skipped.length ? `; not run here: ${skipped.join("; ")}` : "") +
              (waits.length ? `; ${waits.join("; ")}` : ""),
          );
        }
      });
      expect(problems).toEqual([]);
    },
  );

  it("every exercise's reference solution earns full marks on a clean engine", { timeout: MODULE_TIMEOUT_MS }, async ({
    expect,
  }) => {
    const problems: string[] = [];
    await withEngine("exercises", [...IMAGES, NODE_IMAGE], async ({ host, netns, env }) => {
      const grader = createDockerEngine({ host, timeoutMs: 10_000, concurrency: 4 });
      try {
        // The lab's engines have a registry on 127.0.0.1:5000 in their network; this engine gets its own.
        await run("docker", ["run", "-d", "--name", "registro-del-laboratorio", "-p", "5000:5000", "registry:2"], {
          env,
        });
        // The solutions push to it at once; a learner's registry has had the lesson's time to start.
        await run(
          "nsenter",
          [`--net=${netns}`, "bash", "-c", `${AWAIT_LISTENING}\nawait_listening published_port_pending 5000`],
          {
            env,
          },
        );
        for (const exercise of curriculum.exercises.values()) {
          // Questions have no solution to run: test/routes/questions.test.ts grades them.
          if (exercise.kind !== "container") continue;
          const started = Date.now();
          const dir = await mkdtemp(path.join(work, `exercise-${exercise.id}-`));
          const solution = (exercise.accept[0]?.run ?? []).join("\n");
          // -it solutions need a terminal; the learner then leaves it with `exit`.
          const command = /\s-(it|ti)\b/.test(solution)
            ? ["script", "-qec", `sh -e ${path.join(dir, "solution.sh")}`, "/dev/null"]
            : ["sh", "-e", path.join(dir, "solution.sh")];
          await writeFile(path.join(dir, "solution.sh"), `${solution}\n`);
          await copyCourseApp(exercise, dir);
          const failed = await new Promise<string | undefined>((resolve) => {
            const child = execFile(
              "nsenter",
              [`--net=${netns}`, ...command],
              { cwd: dir, env, timeout: 30_000 },
              (error) => resolve(error ? String(error) : undefined),
            );
            child.stdin?.end("exit\n");
          });
          if (failed) {
            problems.push(`${exercise.id}: the solution failed: ${failed}`);
          } else {
            const name = exercise.containerName;
            // A solution that ends a container (kill, an exit) may still be on its way out.
            await run("docker", ["wait", name], { env, timeout: 1_000 }).catch(() => {});
            const grade = gradeSubmission(exercise, await observeContainer(grader, exercise, name));
            const failing = grade.checks.filter((check) => !check.passed).map((check) => check.id);
            if (failing.length > 0) problems.push(`${exercise.id}: checks ${failing.join(", ")} failed`);
          }
          for (const line of exercise.cleanup) {
            await run("nsenter", [`--net=${netns}`, "sh", "-c", line], { cwd: dir, env, timeout: 30_000 }).catch(
              () => {},
            );
          }
          console.log(`lesson-commands: exercise ${exercise.id} graded in ${Date.now() - started} ms`);
        }
      } finally {
        grader.close();
      }
    });
    expect(problems).toEqual([]);
  });
});
