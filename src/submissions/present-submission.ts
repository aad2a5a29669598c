import type { GradedSubmission } from "../exports/graded-submission.js";
import type { Exercise } from "../grading/exercise.js";
import { gradeInWords } from "../grading/localize-grade.js";
import type { Submission, SubmissionDetail } from "./submission-schema.js";
import type { StoredSubmission, SubmissionSummary } from "./submission-store.js";

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

/** A submission as every export reads it: its grade in words, in the language the learner was graded in. */
export function toGradedSubmission(stored: SubmissionSummary, exercise: Exercise): GradedSubmission {
  const { checks, hints } = gradeInWords(stored, exercise, stored.language);
  return {
    id: stored.id,
    learnerId: stored.learnerId,
    exerciseId: stored.exerciseId,
    passed: stored.passed,
    score: stored.score,
    maxScore: stored.maxScore,
    checks,
    hints,
    language: stored.language,
    gradedAt: stored.gradedAt,
    durationMs: stored.durationMs,
  };
}
