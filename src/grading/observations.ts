import type { ContainerFacts } from "../docker/container-facts.js";
import type { CheckOf, Exercise } from "./exercise.js";

/**
 * Something the engine could not tell us about a container that exists: `top` and `exec` need it
 * running, and it can disappear between two calls. `detail` is the engine's own message, if any.
 */
export interface Unobservable {
  unobservable: "not-running" | "gone";
  detail?: string;
}

export interface ProcessListObservation {
  titles: string[];
  processes: string[][];
}

export interface OutputObservation {
  text: string;
  truncated: boolean;
}

export interface ExecObservation extends OutputObservation {
  exitCode: number | null;
  timedOut: boolean;
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
  /** A second inspect after a delay, for `stillRunning`. */
  later?: { afterMs: number; facts: ContainerFacts | undefined };
}

/** The engine calls beyond the first inspect that an exercise's checks need. */
export interface ObservationPlan {
  top: boolean;
  /** 0: no logs needed. */
  logsTailLines: number;
  execs: CheckOf<"exec">[];
  /** 0: no second inspect. */
  laterAfterMs: number;
}

export const LOGS_MAX_BYTES = 64 * 1024;
export const EXEC_OUTPUT_MAX_BYTES = 16 * 1024;

export function planObservations(exercise: Exercise): ObservationPlan {
  const plan: ObservationPlan = { top: false, logsTailLines: 0, execs: [], laterAfterMs: 0 };
  for (const check of exercise.checks) {
    if (check.type === "processRunning") plan.top = true;
    if (check.type === "logsContain") plan.logsTailLines = Math.max(plan.logsTailLines, check.tailLines);
    if (check.type === "exec") plan.execs.push(check);
    if (check.type === "stillRunning") plan.laterAfterMs = Math.max(plan.laterAfterMs, check.afterMs);
  }
  return plan;
}

export function isUnobservable(value: object): value is Unobservable {
  return "unobservable" in value;
}
