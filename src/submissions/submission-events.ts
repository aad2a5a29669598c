import { newWebhookPayload, type WebhookPayload } from "../delivery/events.js";
import type { Submission } from "./submission-schema.js";

/**
 * The events one recorded submission causes: submission.graded, which carries the whole submission,
 * always, and exercise.passed on the learner's first pass. Only the submission's write knows whether it is the first pass, so both
 * payloads are built here and that write enqueues the second one only then, in its own transaction.
 */
export function submissionEventPayloads(submission: Submission): {
  graded: WebhookPayload;
  firstPass: WebhookPayload;
} {
  return {
    graded: newWebhookPayload("submission.graded", { submission }),
    firstPass: newWebhookPayload("exercise.passed", {
      learnerId: submission.learnerId,
      exerciseId: submission.exerciseId,
      submissionId: submission.id,
      score: submission.score,
      maxScore: submission.maxScore,
      passedAt: submission.gradedAt,
    }),
  };
}
