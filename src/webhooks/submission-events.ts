import type { Prisma } from "../generated/prisma/client.js";
import { enqueueWebhookEvent } from "./events.js";

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
 * The events one recorded submission causes, written into the outbox in the submission's own
 * transaction: submission.graded always, and exercise.passed on the learner's first pass.
 */
export async function enqueueSubmissionEvents(
  tx: Prisma.TransactionClient,
  clientId: string,
  recorded: { submission: GradedSubmissionFacts; firstPass: boolean },
): Promise<void> {
  const { submission, firstPass } = recorded;
  await enqueueWebhookEvent(tx, clientId, "submission.graded", { submission });
  if (!firstPass) return;
  await enqueueWebhookEvent(tx, clientId, "exercise.passed", {
    learnerId: submission.learnerId,
    exerciseId: submission.exerciseId,
    submissionId: submission.id,
    score: submission.score,
    maxScore: submission.maxScore,
    passedAt: submission.gradedAt,
  });
}
