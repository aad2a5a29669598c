import { z } from "zod";
import { type ExportedExercise, type GradedSubmission, scaledScore } from "./graded-submission.js";

/**
 * The body an external grader returns to edX XQueue (`xqueue_body` of put_result): whether the
 * answer is correct, the score as a fraction of the problem's points, and an HTML message.
 */
export const XqueueReplySchema = z
  .strictObject({
    correct: z.boolean(),
    score: z.number().min(0).max(1),
    msg: z.string().describe("HTML shown to the learner; everything from the grade is escaped"),
  })
  .meta({ id: "XqueueReply" });
export type XqueueReply = z.infer<typeof XqueueReplySchema>;

export function toXqueueReply(submission: GradedSubmission, exercise: ExportedExercise): XqueueReply {
  const items = submission.checks
    .map(
      (check) =>
        `<li class="${check.passed ? "correct" : "incorrect"}">${escapeHtml(check.description)} ` +
        `(${check.points}/${check.maxPoints}): ${escapeHtml(check.feedback)}</li>`,
    )
    .join("");
  const hints = submission.hints.map((hint) => `<p class="hint">${escapeHtml(hint)}</p>`).join("");
  const title = escapeHtml(exercise.title[submission.language]);
  return {
    correct: submission.passed,
    score: scaledScore(submission),
    msg: `<div class="aprendiendo-docker"><p>${title}: ${submission.score}/${submission.maxScore}</p><ul>${items}</ul>${hints}</div>`,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
