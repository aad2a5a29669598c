import type { GradedSubmission } from "../exports/graded-submission.js";
import type { Exercise } from "../grading/exercise.js";
import { gradeInWords } from "../grading/localize-grade.js";
import type { Submission, SubmissionDetail } from "./submission-schema.js";
import type { StoredSubmission, SubmissionSummary } from "./submission-store.js";

/** A submission as every route answers it, in the language the learner was graded in. */
export function presentSubmission(stored: SubmissionSummary, exercise: Exercise | undefined): Submission {
  return presentGraded(toGradedSubmission(stored, exercise), stored.containerName);
}

/** The same, from a grade already in words: a caller that needs both views puts it in words once. */
export function presentGraded(graded: GradedSubmission, containerName: string): Submission {
  return {
    id: graded.id,
    exerciseId: graded.exerciseId,
    learnerId: graded.learnerId,
    containerName,
    status: graded.passed ? "passed" : "failed",
    score: graded.score,
    maxScore: graded.maxScore,
    checks: graded.checks,
    hints: graded.hints,
    gradedAt: graded.gradedAt.toISOString(),
    durationMs: graded.durationMs,
  };
}

export function presentSubmissionDetail(stored: StoredSubmission, exercise: Exercise | undefined): SubmissionDetail {
  return { ...presentSubmission(stored, exercise), language: stored.language, evidence: stored.evidence };
}

/** A submission as every export reads it: its grade in words, in the language the learner was graded in. */
export function toGradedSubmission(stored: SubmissionSummary, exercise: Exercise | undefined): GradedSubmission {
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
