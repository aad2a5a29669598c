import type {
  ContainerEvent,
  ContainerFacts,
  HistoryStep,
  ImageFacts,
  PathStat,
  VolumeFacts,
  VolumeMount,
} from "../docker/container-facts.js";
import type { CheckOf } from "./exercise.js";

/**
 * Something the engine could not tell us about a container that exists: `top` and `exec` need it
 * running, and it can disappear between two calls. `detail` is the engine's own message, if any.
 */
export interface Unobservable {
  unobservable: "not-running" | "gone";
  detail?: string;
}

interface ProcessListObservation {
  titles: string[];
  processes: string[][];
}

interface OutputObservation {
  text: string;
  truncated: boolean;
}

interface ExecObservation extends OutputObservation {
  exitCode: number | null;
  timedOut: boolean;
  /** The deadline it ran under; at it, the command was killed. */
  deadlineMs?: number;
}

/**
 * Everything the engine said about one container, recorded once, so grading is a pure function
 * of it. Only the first inspect is always there; the rest only when a check asked for it.
 */
export interface Observations {
  containerName: string;
  /** What the engine's inspect said, or undefined when no container has this name. */
  facts: ContainerFacts | undefined;
  processes?: ProcessListObservation | Unobservable;
  logs?: OutputObservation | Unobservable;
  /** Keyed by check id. */
  exec?: Record<string, ExecObservation | Unobservable>;
  /** Keyed by check id; null: no such path. */
  paths?: Record<string, PathStat | null | Unobservable>;
  /** The image the container was created from, by its ID; undefined when the image is gone. */
  image?: ImageFacts | undefined;
  /** The engine's clock when the container was inspected, for `stillRunning`. */
  engineTime?: string;
  /**
   * A second inspect, only for a container that had been running less than the plan's
   * stillRunningAfterMs: taken once that much time has passed since it started. Undefined facts: it vanished.
   */
  later?: { facts: ContainerFacts | undefined };
  /** The engine's container events from the container's creation to the grade, oldest first. */
  events?: ContainerEvent[];
  /**
   * Keyed by check id: the build steps of the container's image and of the check's base image, oldest
   * first; undefined where the image is gone.
   */
  histories?: Record<string, { image: HistoryStep[] | undefined; base: HistoryStep[] | undefined }>;
  /** The build steps of the container's own image, oldest first; undefined where the image is gone. */
  imageHistory?: HistoryStep[] | undefined;
  /**
   * Keyed by service name: the container Compose made for that service in the graded container's
   * project; null when there is none (or the graded container belongs to no project).
   */
  composeServices?: Record<string, ContainerFacts | null>;
  /**
   * Keyed by check id: the named volume mounted at the check's destination, and the containers the
   * engine logged mounting it from its creation to the graded container's; null: no named volume there.
   */
  volumes?: Record<string, { volume: VolumeFacts; mounts: VolumeMount[] } | null>;
}

/** The engine calls beyond the first inspect that an exercise's checks need. */
export interface ObservationPlan {
  top: boolean;
  /** 0: no logs needed. */
  logsTailLines: number;
  execs: readonly CheckOf<"exec">[];
  paths: readonly CheckOf<"path">[];
  /** Inspect the container's image: image checks compare its tags, `command` its defaults. */
  image: boolean;
  /**
   * 0: nothing asks whether the container stays running. Otherwise the longest afterMs of a
   * `stillRunning` check, or RUNNING_SETTLES_MS for a `state: running` check: read the engine's clock.
   */
  stillRunningAfterMs: number;
  /** Read the engine's event log since the container was created (and its clock, to end the read). */
  events: boolean;
  histories: readonly CheckOf<"noRunAfterBase">[];
  imageHistory: boolean;
  composeServices: readonly string[];
  volumes: readonly CheckOf<"volumeReused">[];
}

/** What one check adds to its exercise's plan; a call it leaves out, it does not need. */
export type EngineNeeds = Partial<ObservationPlan>;

/** The plan of checks that read only the first inspect. */
export const INSPECT_ONLY: ObservationPlan = {
  top: false,
  logsTailLines: 0,
  execs: [],
  paths: [],
  image: false,
  stillRunningAfterMs: 0,
  events: false,
  histories: [],
  imageHistory: false,
  composeServices: [],
  volumes: [],
};

/**
 * One check's needs added to a plan, as a new plan: a call is made if any check asks for it, a limit
 * is the largest asked for, and each Compose service is looked up once.
 */
export function addNeeds(plan: ObservationPlan, needs: EngineNeeds): ObservationPlan {
  return {
    top: plan.top || needs.top === true,
    logsTailLines: Math.max(plan.logsTailLines, needs.logsTailLines ?? 0),
    execs: [...plan.execs, ...(needs.execs ?? [])],
    paths: [...plan.paths, ...(needs.paths ?? [])],
    image: plan.image || needs.image === true,
    stillRunningAfterMs: Math.max(plan.stillRunningAfterMs, needs.stillRunningAfterMs ?? 0),
    events: plan.events || needs.events === true,
    histories: [...plan.histories, ...(needs.histories ?? [])],
    imageHistory: plan.imageHistory || needs.imageHistory === true,
    composeServices: [...new Set([...plan.composeServices, ...(needs.composeServices ?? [])])],
    volumes: [...plan.volumes, ...(needs.volumes ?? [])],
  };
}

export const LOGS_MAX_BYTES = 64 * 1024;
/**
 * How long a container must have been up before `state: running` believes it. A main process such as
 * `sh -c 'exit 0'` is still "running" for the moment `docker run -d` returns; on a busy engine that
 * moment is long enough for a Check to see it.
 */
export const RUNNING_SETTLES_MS = 500;
export const EXEC_OUTPUT_MAX_BYTES = 16 * 1024;
/**
 * How old a running container must be before its logs are read for a `logsContain` check. A program
 * writes its first line a moment after `docker run -d` returns (Node took over a second to say it
 * listens on a busy CI machine): a younger container's logs are read once it is this old.
 */
export const LOGS_SETTLE_MS = 2000;

export function isUnobservable(value: object): value is Unobservable {
  return "unobservable" in value;
}

/** Milliseconds from `from` to `to`, two RFC 3339 times on the engine's clock; NaN if either is unreadable. */
export function engineMillisBetween(from: string, to: string): number {
  return Date.parse(to) - Date.parse(from);
}

/** The engine writes year 1 for a time that never happened (a container never started or never finished). */
export function happened(time: string): boolean {
  return time !== "" && !time.startsWith("0001-");
}
