import type { Prisma } from "../generated/prisma/client.js";
import { completeLessonIfAllPassed, type LessonShape } from "../progress/lesson-completion.js";
import type { Submission } from "../submissions/submission-schema.js";
import { enqueueWebhookEvent } from "./events.js";

/**
 * The events one recorded submission causes, written into the outbox in the submission's own
 * transaction: submission.graded always; exercise.passed on the learner's first pass; and
 * lesson.completed when that pass completes the exercise's lesson.
 */
export async function publishSubmissionEvents(
  tx: Prisma.TransactionClient,
  input: { clientId: string; submission: Submission; firstPass: boolean; lesson: LessonShape | undefined },
): Promise<void> {
  const { clientId, submission, firstPass, lesson } = input;
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
  if (lesson) await completeLessonIfAllPassed(tx, { clientId, learnerId: submission.learnerId, lesson });
}
