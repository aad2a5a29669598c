import type { Exercise } from "../grading/exercise.js";
import { gradeInWords } from "../grading/localize-grade.js";
import type {
  StoredSubmission,
  StoredSubmissionSummary,
  Submission,
  SubmissionDetail,
  SubmissionInWords,
} from "./submission-schema.js";

/**
 * A stored submission with its grade in words, in the language the learner was graded in: what
 * every answer, export and outbox is built from, so one grade is put into words once.
 */
export function submissionInWords(stored: StoredSubmissionSummary, exercise: Exercise | undefined): SubmissionInWords {
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
    language: stored.language,
  };
}

/** A submission as POST answers it, lists return it and events carry it. */
export function apiSubmission({ language: _graded, ...submission }: SubmissionInWords): Submission {
  return submission;
}

export function presentSubmission(stored: StoredSubmissionSummary, exercise: Exercise | undefined): Submission {
  return apiSubmission(submissionInWords(stored, exercise));
}

export function presentSubmissionDetail(stored: StoredSubmission, exercise: Exercise | undefined): SubmissionDetail {
  return { ...submissionInWords(stored, exercise), evidence: stored.evidence };
}
