import { newWebhookPayload, type WebhookPayload } from "./events.js";

/** What the events say of a graded submission; the whole submission rides along in submission.graded. */
interface GradedSubmissionFacts {
  id: string;
  learnerId: string;
  exerciseId: string;
  score: number;
  maxScore: number;
  gradedAt: string;
}

/**
 * The events one recorded submission causes: submission.graded always, and exercise.passed on the
 * learner's first pass. Only the submission's write knows whether it is the first pass, so both
 * payloads are built here and that write enqueues the second one only then, in its own transaction.
 */
export function submissionEventPayloads(submission: GradedSubmissionFacts): {
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
