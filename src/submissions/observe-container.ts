import type { DockerEngine } from "../docker/engine.js";
import { ContainerStateError } from "../docker/errors.js";
import type { Exercise } from "../grading/exercise.js";
import {
  EXEC_OUTPUT_MAX_BYTES,
  LOGS_MAX_BYTES,
  type Observations,
  planObservations,
  type Unobservable,
} from "../grading/observations.js";

/**
 * Asks the engine what the exercise's checks need to know about one container: one inspect,
 * then only the calls some check asked for, in parallel. Engine failures propagate
 * (EngineUnavailable); a container that cannot answer a call is recorded as such.
 */
export async function observeContainer(
  engine: DockerEngine,
  exercise: Exercise,
  containerName: string,
): Promise<Observations> {
  const inspected = await engine.inspectContainer(containerName);
  // The engine also resolves ids and id prefixes. Only the exact name is the learner's container:
  // anything else is "no such container", and nothing more is read from it.
  const facts = inspected?.name === containerName ? inspected : undefined;
  const observations: Observations = { containerName, facts };
  if (facts === undefined) return observations;

  const plan = planObservations(exercise);
  const running = facts.running;
  const notRunning: Unobservable = { unobservable: "not-running" };
  const calls: Promise<unknown>[] = [];

  if (plan.top) {
    calls.push(
      (running ? tolerateState(engine.top(containerName)) : Promise.resolve(notRunning)).then((processes) => {
        observations.processes = processes;
      }),
    );
  }
  if (plan.logsTailLines > 0) {
    calls.push(
      tolerateState(engine.logsTail(containerName, { lines: plan.logsTailLines, maxBytes: LOGS_MAX_BYTES })).then(
        (logs) => {
          observations.logs = logs;
        },
      ),
    );
  }
  if (plan.execs.length > 0) {
    const exec: NonNullable<Observations["exec"]> = {};
    observations.exec = exec;
    for (const check of plan.execs) {
      const outcome = running
        ? tolerateState(
            engine.execFixed(containerName, check.argv, {
              timeoutMs: check.timeoutMs,
              maxBytes: EXEC_OUTPUT_MAX_BYTES,
            }),
          )
        : Promise.resolve(notRunning);
      calls.push(
        outcome.then((result) => {
          exec[check.id] = result;
        }),
      );
    }
  }
  if (plan.laterAfterMs > 0) {
    calls.push(
      new Promise((resolve) => setTimeout(resolve, plan.laterAfterMs))
        .then(() => engine.inspectContainer(containerName))
        .then((later) => {
          observations.later = { afterMs: plan.laterAfterMs, facts: later };
        }),
    );
  }
  await Promise.all(calls);
  return observations;
}

async function tolerateState<T>(call: Promise<T>): Promise<T | Unobservable> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof ContainerStateError)) throw error;
    return { unobservable: error.statusCode === 404 ? "gone" : "not-running", detail: error.message };
  }
}
