import type { CheckResult } from "../grading/localize-grade.js";
import type { Language, LocalizedText } from "../schemas/language.js";

/**
 * What every export reads: one stored, graded submission in words, and the exercise it answers.
 * Exports are pure functions of this, so a grade can be re-exported at any time, identically.
 */
export interface GradedSubmission {
  id: string;
  learnerId: string;
  exerciseId: string;
  passed: boolean;
  score: number;
  maxScore: number;
  checks: CheckResult[];
  hints: string[];
  /** The language the feedback is written in: the one the learner was graded in. */
  language: Language;
  gradedAt: Date;
  durationMs: number;
}

export interface ExportedExercise {
  id: string;
  lesson: string;
  title: LocalizedText;
}

/** Score as a fraction in [0, 1]; an exercise with no points counts as done when passed. */
export function scaledScore(submission: GradedSubmission): number {
  if (submission.maxScore <= 0) return submission.passed ? 1 : 0;
  return Math.min(1, Math.max(0, submission.score / submission.maxScore));
}

/** One line per check, in the submission's language: what a gradebook comment can show. */
export function plainTextSummary(submission: GradedSubmission, exercise: ExportedExercise): string {
  const title = exercise.title[submission.language];
  const lines = submission.checks.map(
    (check) =>
      `${check.passed ? "✔" : "✘"} ${check.description} (${check.points}/${check.maxPoints}): ${check.feedback}`,
  );
  return [`${title}: ${submission.score}/${submission.maxScore}`, ...lines, ...submission.hints].join("\n");
}
