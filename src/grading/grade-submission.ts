import { z } from "zod";
import type { Language } from "../i18n/language.js";
import { evaluateCheck } from "./checks.js";
import { type ContainerFacts, containerFactsFromInspect } from "./container-facts.js";
import type { Exercise } from "./exercise.js";
import { localize, GRADER_MESSAGES as M } from "./messages.js";
import type { Observations } from "./observations.js";

export const CheckResultSchema = z
  .object({
    id: z.string(),
    description: z.string(),
    passed: z.boolean(),
    points: z.number().int().describe("Points earned: maxPoints when passed, else 0"),
    maxPoints: z.number().int(),
    feedback: z.string().describe("What the learner did and what to change, in the negotiated language"),
    expected: z.string(),
    actual: z.string().nullable().describe("What the engine showed; null when there was no container to look at"),
  })
  .meta({ id: "CheckResult" });
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const GradeStatusSchema = z.enum(["passed", "failed"]).describe("passed when every check passed");

/** The inspect fields the checks read, per check, so a grade can be audited after the container is gone. */
export interface EvidenceSnapshot {
  containerName: string;
  found: boolean;
  container: { id: string; name: string; status: string } | null;
  checks: Record<string, Record<string, unknown>>;
}

export interface Grade {
  status: z.infer<typeof GradeStatusSchema>;
  score: number;
  maxScore: number;
  checks: CheckResult[];
  hints: string[];
  evidence: EvidenceSnapshot;
}

/** Grades one exercise on what the engine reported, in the learner's language. Pure. */
export function gradeSubmission(exercise: Exercise, observations: Observations, language: Language): Grade {
  const name = observations.containerName;
  const facts = observations.inspect === undefined ? undefined : containerFactsFromInspect(observations.inspect);
  const later = laterFacts(observations);
  const evidence: EvidenceSnapshot = {
    containerName: name,
    found: facts !== undefined,
    container: facts ? { id: facts.id, name: facts.name, status: facts.status } : null,
    checks: {},
  };

  const checks: CheckResult[] = exercise.checks.map((check) => {
    const base = {
      id: check.id,
      description: localize(check.description, language, { name }),
      maxPoints: check.points,
    };
    if (!facts) {
      // Only `exists` can say something useful about a container that is not there.
      const feedback =
        check.type === "exists"
          ? localize(check.feedback.fail, language, { name, expected: name, actual: localize(M.noContainer, language) })
          : localize(M.notCheckedWithoutContainer, language, { name });
      return {
        ...base,
        passed: false,
        points: 0,
        feedback,
        expected: check.type === "exists" ? name : "",
        actual: null,
      };
    }
    const outcome = evaluateCheck(check, { facts, later, observations, language });
    evidence.checks[check.id] = outcome.evidence;
    const values = { name, expected: outcome.expected, actual: outcome.actual };
    return {
      ...base,
      passed: outcome.passed,
      points: outcome.passed ? check.points : 0,
      feedback: localize(outcome.passed ? check.feedback.pass : check.feedback.fail, language, values),
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
    hints: hintsFor(exercise, facts, failed, language, name),
    evidence,
  };
}

function laterFacts(observations: Observations): ContainerFacts | null | undefined {
  if (!observations.later) return undefined;
  return observations.later.inspect === undefined ? null : containerFactsFromInspect(observations.later.inspect);
}

function hintsFor(
  exercise: Exercise,
  facts: ContainerFacts | undefined,
  failed: ReadonlySet<string>,
  language: Language,
  name: string,
): string[] {
  if (failed.size === 0) return [];
  const state = facts ? facts.status : "missing";
  const values = { name, state, exitCode: facts?.exitCode ?? "" };
  const hints = exercise.hints
    .filter(
      (hint) =>
        (hint.when.state === undefined || hint.when.state === state) &&
        (hint.when.failed === undefined || failed.has(hint.when.failed)),
    )
    .map((hint) => localize(hint.text, language, values));
  if (!facts) hints.unshift(localize(M.missingContainerHint, language, values));
  return [...new Set(hints)];
}
