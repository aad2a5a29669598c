import { COMPOSE_LABELS } from "../docker/container-facts.js";
import type { DockerEngine } from "../docker/engine.js";
import { ContainerStateError } from "../docker/errors.js";
import { planObservations } from "../grading/checks.js";
import type { ContainerExercise } from "../grading/exercise.js";
import {
  EXEC_OUTPUT_MAX_BYTES,
  engineMillisBetween,
  LOGS_MAX_BYTES,
  LOGS_SETTLE_MS,
  type Observations,
  type Unobservable,
} from "../grading/observations.js";

/**
 * Asks the engine what the exercise's checks need to know about one container: one inspect,
 * then only the calls some check asked for, in parallel. Engine failures propagate
 * (EngineUnavailable); a container that cannot answer a call is recorded as such.
 *
 * The container is the one named in the request; without a name, the exercise's: for a Compose
 * service, the container Compose made for it, found by its labels, so Compose v1's tienda_web_1
 * and v2's tienda-web-1 are both found. `observations.containerName` says which name was graded.
 */
export async function observeContainer(
  engine: DockerEngine,
  exercise: ContainerExercise,
  requestedName: string | undefined,
): Promise<Observations> {
  const plan = planObservations(exercise);
  const containerName =
    requestedName ??
    (exercise.compose
      ? await engine.findComposeContainer(exercise.compose.project, exercise.compose.service)
      : undefined) ??
    exercise.containerName;
  // The engine's clock is read beside the inspect, so judging uptime costs no extra round trip.
  const [inspected, engineTime] = await Promise.all([
    engine.inspectContainer(containerName),
    plan.stillRunningAfterMs > 0 || plan.events || plan.logsTailLines > 0 ? engine.systemTime() : undefined,
  ]);
  // The engine also resolves ids and id prefixes. Only the exact name is the learner's container:
  // anything else is "no such container", and nothing more is read from it.
  const facts = inspected?.name === containerName ? inspected : undefined;
  const observations: Observations = { containerName, facts };
  if (facts === undefined) return observations;
  if (engineTime !== undefined) observations.engineTime = engineTime;

  const running = facts.running;
  const notRunning: Unobservable = { unobservable: "not-running" };
  // Uptime is judged on the engine's own record (StartedAt against its clock).
  const upMs = engineTime === undefined ? Number.NaN : engineMillisBetween(facts.startedAt, engineTime);
  /** Resolves once a running container is ageMs old; at once for an older one, or one not running. */
  const whenAged = (ageMs: number) =>
    new Promise((resolve) => setTimeout(resolve, running && upMs < ageMs ? ageMs - upMs : 0));
  // The container's own image history is read once, whichever checks need it.
  let ownHistory: ReturnType<DockerEngine["imageHistory"]> | undefined;
  const imageHistory = () => {
    ownHistory ??= engine.imageHistory(facts.imageId);
    return ownHistory;
  };
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
      whenAged(LOGS_SETTLE_MS)
        .then(() =>
          tolerateState(engine.logsTail(containerName, { lines: plan.logsTailLines, maxBytes: LOGS_MAX_BYTES })),
        )
        .then((logs) => {
          observations.logs = logs;
        }),
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
  if (plan.paths.length > 0) {
    const paths: NonNullable<Observations["paths"]> = {};
    observations.paths = paths;
    for (const check of plan.paths) {
      calls.push(
        tolerateState(engine.statPath(facts.id, check.path)).then((stat) => {
          paths[check.id] = stat;
        }),
      );
    }
  }
  if (plan.image && facts.imageId) {
    calls.push(
      engine.inspectImage(facts.imageId).then((image) => {
        observations.image = image;
      }),
    );
  }
  // Only a container started less than afterMs ago cannot be judged yet: it gets a second look once
  // it is that old.
  if (running && upMs < plan.stillRunningAfterMs) {
    calls.push(
      whenAged(plan.stillRunningAfterMs)
        .then(() => engine.inspectContainer(containerName))
        .then((later) => {
          observations.later = { facts: later?.id === facts.id ? later : undefined };
        }),
    );
  }
  if (plan.events && engineTime !== undefined) {
    calls.push(
      engine.containerEvents(facts.created, engineTime).then((events) => {
        observations.events = events;
      }),
    );
  }
  if (plan.histories.length > 0) {
    const histories: NonNullable<Observations["histories"]> = {};
    observations.histories = histories;
    for (const check of plan.histories) {
      calls.push(
        Promise.all([imageHistory(), engine.imageHistory(check.base)]).then(([image, base]) => {
          histories[check.id] = { image, base };
        }),
      );
    }
  }
  if (plan.imageHistory) {
    calls.push(
      imageHistory().then((history) => {
        observations.imageHistory = history;
      }),
    );
  }
  if (plan.composeServices.length > 0) {
    const services: NonNullable<Observations["composeServices"]> = {};
    observations.composeServices = services;
    const project = facts.labels[COMPOSE_LABELS.project];
    for (const service of plan.composeServices) {
      calls.push(
        (async () => {
          const name = project === undefined ? undefined : await engine.findComposeContainer(project, service);
          services[service] = (name === undefined ? undefined : await engine.inspectContainer(name)) ?? null;
        })(),
      );
    }
  }
  if (plan.volumes.length > 0) {
    const volumes: NonNullable<Observations["volumes"]> = {};
    observations.volumes = volumes;
    for (const check of plan.volumes) {
      const mounted = facts.mounts.find((m) => m.type === "volume" && m.destination === check.destination);
      calls.push(
        (async () => {
          const volume = mounted ? await engine.inspectVolume(mounted.source) : undefined;
          // Only the mounts before the graded container was created: its own start mounts it too.
          const mounts = volume ? await engine.volumeMounts(volume.name, volume.createdAt, facts.created) : [];
          volumes[check.id] = volume ? { volume, mounts } : null;
        })(),
      );
    }
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
