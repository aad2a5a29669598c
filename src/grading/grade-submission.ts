import type { ContainerFacts } from "../docker/container-facts.js";
import { evaluateCheck } from "./checks.js";
import type { Exercise } from "./exercise.js";
import type { EvidenceSnapshot, Grade, GradedCheck, HintRef } from "./grade.js";
import type { Observations } from "./observations.js";

/** Grades one exercise on what the engine reported. Pure, and language-neutral: see grade.ts. */
export function gradeSubmission(exercise: Exercise, observations: Observations): Grade {
  const name = observations.containerName;
  const facts = observations.facts;
  const later = observations.later === undefined ? undefined : (observations.later.facts ?? null);
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
    const outcome = evaluateCheck(check, { facts, later, observations });
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
  exercise: Exercise,
  facts: ContainerFacts | undefined,
  failed: ReadonlySet<string>,
  name: string,
): HintRef[] {
  if (failed.size === 0) return [];
  const state = facts ? facts.status : "missing";
  const values = { name, state, exitCode: facts ? String(facts.exitCode) : "" };
  const hints: HintRef[] = exercise.hints
    .filter(
      (hint) =>
        (hint.when.state === undefined || hint.when.state === state) &&
        (hint.when.failed === undefined || failed.has(hint.when.failed)),
    )
    .map((hint) => ({ when: hint.when, with: values }));
  if (!facts) hints.unshift({ say: "missingContainerHint", with: values });
  return hints;
}
