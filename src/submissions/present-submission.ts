import type { Exercise } from "../grading/exercise.js";
import { type LocalizedGrade, localizeGrade } from "../grading/localize-grade.js";
import type { Language } from "../schemas/language.js";
import type { Submission, SubmissionDetail } from "./submission-schema.js";
import type { StoredSubmission, SubmissionSummary } from "./submission-store.js";

/** The stored grade in words, in one language; rows stored before grades were neutral keep their own words. */
export function gradeInWords(
  stored: SubmissionSummary,
  exercise: Exercise | undefined,
  language: Language,
): LocalizedGrade {
  if (stored.grade.kind === "localized") return { checks: stored.grade.checks, hints: stored.grade.hints };
  return localizeGrade(exercise, { containerName: stored.containerName, ...stored.grade }, language);
}

/** A submission as every route answers it, in the language the learner was graded in. */
export function presentSubmission(stored: SubmissionSummary, exercise: Exercise | undefined): Submission {
  const { checks, hints } = gradeInWords(stored, exercise, stored.language);
  return {
    id: stored.id,
    exerciseId: stored.exerciseId,
    learnerId: stored.learnerId,
    containerName: stored.containerName,
    status: stored.passed ? "passed" : "failed",
    score: stored.score,
    maxScore: stored.maxScore,
    checks,
    hints,
    gradedAt: stored.gradedAt.toISOString(),
    durationMs: stored.durationMs,
  };
}

export function presentSubmissionDetail(stored: StoredSubmission, exercise: Exercise | undefined): SubmissionDetail {
  return { ...presentSubmission(stored, exercise), language: stored.language, evidence: stored.evidence };
}
