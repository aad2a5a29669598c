import type { ContainerFacts } from "../docker/container-facts.js";
import { evaluateCheck } from "./checks.js";
import type { ContainerExercise } from "./exercise.js";
import type { EvidenceSnapshot, Grade, GradedCheck, HintRef } from "./grade.js";
import type { GraderHint } from "./messages.js";
import type { Observations } from "./observations.js";

/**
 * The grader's hint for a state no exercise needs to foresee: each is true in its state whatever
 * the exercise asked. Running and exited are the exercises' to explain.
 */
const STATE_HINTS: Partial<Record<string, GraderHint>> = {
  paused: "pausedHint",
  restarting: "restartingHint",
  dead: "deadHint",
  removing: "removingHint",
};

/** Grades one exercise on what the engine reported. Pure, and language-neutral: see grade.ts. */
export function gradeSubmission(exercise: ContainerExercise, observations: Observations): Grade {
  const name = observations.containerName;
  const facts = observations.facts;
  const evidence: EvidenceSnapshot = {
    containerName: name,
    found: facts !== undefined,
    container: facts ? { id: facts.id, name: facts.name, status: facts.status } : null,
    checks: {},
  };

  const checks: GradedCheck[] = exercise.checks.map((check) => {
    const base = { id: check.id, maxPoints: check.points };
    if (!facts) {
      // Only `exists` can say something useful about a container that is not there.
      return { ...base, passed: false, points: 0, expected: check.type === "exists" ? name : "", actual: null };
    }
    const outcome = evaluateCheck(check, { facts, observations });
    evidence.checks[check.id] = outcome.evidence;
    return {
      ...base,
      passed: outcome.passed,
      points: outcome.passed ? check.points : 0,
      expected: outcome.expected,
      actual: outcome.actual,
    };
  });

  const score = checks.reduce((sum, c) => sum + c.points, 0);
  const maxScore = checks.reduce((sum, c) => sum + c.maxPoints, 0);
  const failed = new Set(checks.filter((c) => !c.passed).map((c) => c.id));
  return {
    status: failed.size === 0 ? "passed" : "failed",
    score,
    maxScore,
    checks,
    hints: hintsFor(exercise, facts, failed, name),
    evidence,
  };
}

function hintsFor(
  exercise: ContainerExercise,
  facts: ContainerFacts | undefined,
  failed: ReadonlySet<string>,
  name: string,
): HintRef[] {
  if (failed.size === 0) return [];
  const state = facts ? facts.status : "missing";
  // Without a container every check fails for want of one: only `exists` failed for a reason,
  // and a hint about any other check (fix the port, remove the container) would not fit.
  const failedForReal = facts
    ? failed
    : new Set(exercise.checks.filter((check) => check.type === "exists").map((check) => check.id));
  const error = facts?.error.slice(0, 300) ?? "";
  const values = { name, state, exitCode: facts ? String(facts.exitCode) : "", error };
  const hints: HintRef[] = exercise.hints
    .filter(
      (hint) =>
        (hint.when.state === undefined || hint.when.state === state) &&
        (hint.when.failed === undefined || failedForReal.has(hint.when.failed)),
    )
    .map((hint) => ({ when: hint.when, with: values }));
  // A missing container gets none of the grader's hints: every exercise has its own, which gives the
  // command that creates it (exercise.ts), and the page leads with that command.
  const own: GraderHint | undefined =
    facts && (state === "created" ? (error ? "startFailedHint" : "createdHint") : STATE_HINTS[state]);
  // An exercise's own hint for a state says it better than the grader's generic one.
  const exerciseSaysIt = exercise.hints.some((hint) => hint.when.state === state && hint.when.failed === undefined);
  if (own && !exerciseSaysIt) hints.unshift({ say: own, with: values });
  return hints;
}
