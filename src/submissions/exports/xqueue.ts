import { z } from "zod";
import { escapeHtml } from "../../web/html.js";
import type { SubmissionInWords } from "../submission-schema.js";
import { type ExportedExercise, scaledScore } from "./graded-submission.js";

/**
 * The body an external grader returns to edX XQueue (`xqueue_body` of put_result): whether the
 * answer is correct, the points earned, and an HTML message. edX's CodeResponse reads `score` as
 * points and divides by the problem's own max points, so a fraction here would grade 6/6 as 1/6.
 */
export const XqueueReplySchema = z
  .strictObject({
    correct: z.boolean(),
    score: z.number().min(0).describe("Points earned, out of the edX problem's max points"),
    msg: z.string().describe("HTML shown to the learner; everything from the grade is escaped"),
  })
  .meta({ id: "XqueueReply" });
type XqueueReply = z.infer<typeof XqueueReplySchema>;

/**
 * Points on the exercise's own scale by default. `maxPoints` is the edX problem's max points when
 * they differ (the problem's weight in the course): the score is then scaled to them.
 */
export function toXqueueReply(
  submission: SubmissionInWords,
  exercise: ExportedExercise,
  options: { maxPoints?: number | undefined } = {},
): XqueueReply {
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
    correct: submission.status === "passed",
    score: scaledScore(submission) * (options.maxPoints ?? pointsOf(submission)),
    msg: `<div class="aprendiendo-docker"><p>${title}: ${submission.score}/${submission.maxScore}</p><ul>${items}</ul>${hints}</div>`,
  };
}

/** An exercise worth no points still needs a positive maximum in edX: it counts as 1 point. */
function pointsOf(submission: SubmissionInWords): number {
  return submission.maxScore > 0 ? submission.maxScore : 1;
}
