import type { LocalizedText } from "../../schemas/language.js";
import type { SubmissionInWords } from "../submission-schema.js";

/**
 * What every export reads: one graded submission in words (see ../submission-schema.ts), and the
 * exercise it answers. Exports are pure functions of these, so a grade can be re-exported at any
 * time, identically.
 */
export interface ExportedExercise {
  id: string;
  lesson: string;
  title: LocalizedText;
}

/** Score as a fraction in [0, 1]; an exercise with no points counts as done when passed. */
export function scaledScore(submission: SubmissionInWords): number {
  if (submission.maxScore <= 0) return submission.status === "passed" ? 1 : 0;
  return Math.min(1, Math.max(0, submission.score / submission.maxScore));
}

/** One line per check, in the submission's language: what a gradebook comment can show. */
export function plainTextSummary(submission: SubmissionInWords, exercise: ExportedExercise): string {
  const title = exercise.title[submission.language];
  const lines = submission.checks.map(
    (check) =>
      `${check.passed ? "✔" : "✘"} ${check.description} (${check.points}/${check.maxPoints}): ${check.feedback}`,
  );
  return [`${title}: ${submission.score}/${submission.maxScore}`, ...lines, ...submission.hints].join("\n");
}
