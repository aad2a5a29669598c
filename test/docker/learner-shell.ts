import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { ContainerExercise } from "../../src/grading/exercise.js";

const run = promisify(execFile);

/**
 * Where a learner's commands run: an engine (DOCKER_HOST; unset, the process's) and the network
 * namespace they are typed in (where `-p 8080:80` and `curl localhost:8080` meet; unset, the process's).
 */
export interface LearnerEngine {
  host?: string;
  netns?: string;
}

/** The containerd image store's engine of scripts/test-lab.sh, with its own network; undefined outside the lab. */
export function containerdStoreEngine(): LearnerEngine | undefined {
  const host = process.env.DOCKER_HOST_CONTAINERD_STORE;
  return host ? { host, netns: process.env.CONTAINERD_STORE_NETNS } : undefined;
}

export function shellIn(engine: LearnerEngine, command: string, args: string[]) {
  const env = engine.host ? { ...process.env, DOCKER_HOST: engine.host } : process.env;
  return engine.netns
    ? { command: "nsenter", args: [`--net=${engine.netns}`, command, ...args], env }
    : { command, args, env };
}

/** `docker …` as a learner types it; DOCKER_HOST picks the engine. */
export async function docker(args: string[], options: { host?: string } = {}): Promise<string> {
  const env = options.host ? { ...process.env, DOCKER_HOST: options.host } : process.env;
  const { stdout } = await run("docker", args, { env, timeout: 60_000 });
  return stdout.trim();
}

export function uniqueSuffix(): string {
  return randomBytes(3).toString("hex");
}

/**
 * Renames an exercise's container in its commands, so parallel test files never fight over
 * one name. Only whole names are replaced: `mi-web` but not `mi-web2`.
 */
export function withContainerName(lines: readonly string[], from: string, to: string): string[] {
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const whole = new RegExp(`(?<![\\w.-])${escaped}(?![\\w.-])`, "g");
  return lines.map((line) => line.replace(whole, to));
}

/**
 * -t in any short-flag cluster (-it, -ti, -dit, -t) or --tty of a command that runs a container's
 * process (run, create, exec): docker wants a terminal then. `docker build -t` names a tag and
 * `docker stop -t` a timeout, and need none.
 */
export function needsTerminal(lines: readonly string[]): boolean {
  return lines.some((line) =>
    /\bdocker\s+(container\s+)?(run|create|exec)\b[^;&|]*\s(-[a-zA-Z]*t[a-zA-Z]*|--tty)(\s|$)/.test(line),
  );
}

/** The course's app the exercise works on, copied into `dir` under its own name, as the learner has it. */
export async function copyCourseApp(exercise: Pick<ContainerExercise, "app">, dir: string): Promise<void> {
  if (exercise.app)
    await cp(path.join("content", "app", exercise.app), path.join(dir, exercise.app), { recursive: true });
}

/**
 * A fresh folder for an attempt, with the course's app in it when the exercise works on one. The
 * caller removes it, after the attempt's containers: a bind mount may still read from it.
 */
export async function learnerFolder(exercise: Pick<ContainerExercise, "app">): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "learner-"));
  await copyCourseApp(exercise, dir);
  return dir;
}

/**
 * Runs shell lines in one `sh -e` session in a fresh folder (or in `folder`, which is left as it is),
 * as a learner at a terminal would.
 * Lines with `-t` need a terminal: `script` provides one, and the learner then types `exit`.
 */
export async function runAsLearner(
  lines: readonly string[],
  engine: LearnerEngine = {},
  folder?: string,
): Promise<void> {
  const dir = folder ?? (await mkdtemp(path.join(os.tmpdir(), "learner-")));
  try {
    const file = path.join(dir, "commands.sh");
    await writeFile(file, `${lines.join("\n")}\n`);
    const terminal = needsTerminal(lines);
    const shell = terminal
      ? shellIn(engine, "script", ["-qec", `sh -e ${file}`, "/dev/null"])
      : shellIn(engine, "sh", ["-e", file]);
    if (terminal) {
      await runWithInput(shell, dir, "exit\n");
    } else {
      await run(shell.command, shell.args, { cwd: dir, env: shell.env, timeout: 60_000 });
    }
  } finally {
    if (!folder) await rm(dir, { recursive: true, force: true });
  }
}

function runWithInput(shell: ReturnType<typeof shellIn>, cwd: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // `script` puts the commands' stderr on its stdout: a failure names what the learner saw.
    const child = execFile(shell.command, shell.args, { cwd, env: shell.env, timeout: 60_000 }, (error, stdout) =>
      error ? reject(new Error(`${error.message}\n${String(stdout).slice(-2000)}`)) : resolve(),
    );
    child.stdin?.end(input);
  });
}

/** Removes what an exercise's solution created; tolerates what is already gone. */
export async function cleanUp(
  exercise: ContainerExercise,
  containerName: string,
  engine: LearnerEngine = {},
): Promise<void> {
  for (const line of withContainerName(exercise.cleanup, exercise.containerName, containerName)) {
    const shell = shellIn(engine, "sh", ["-c", line]);
    await run(shell.command, shell.args, { env: shell.env, timeout: 30_000 }).catch(() => {});
  }
}
