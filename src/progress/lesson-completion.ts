import type { Database } from "../db/prisma.js";
import { LessonHasExercises } from "../errors/domain-errors.js";
import type { Prisma } from "../generated/prisma/client.js";
import { ensureLearner } from "../learners/learners.js";
import { enqueueWebhookEvent } from "../webhooks/events.js";

export interface LessonShape {
  slug: string;
  exercises: readonly string[];
}

/**
 * Inserts the completion unless it exists and, only when this call inserted it, emits
 * lesson.completed in the same transaction: exactly one event per learner and lesson, even
 * when two replicas complete the same lesson at once (the primary key decides).
 */
async function insertCompletion(
  tx: Prisma.TransactionClient,
  clientId: string,
  learnerId: string,
  lesson: string,
  how: "read" | "exercises-passed",
): Promise<Date | undefined> {
  const inserted = await tx.$queryRaw<{ completed_at: Date }[]>`
    INSERT INTO lesson_completions (client_id, learner_id, lesson_slug)
    VALUES (${clientId}::uuid, ${learnerId}, ${lesson})
    ON CONFLICT DO NOTHING
    RETURNING completed_at`;
  const completedAt = inserted[0]?.completed_at;
  if (completedAt) {
    await enqueueWebhookEvent(tx, clientId, "lesson.completed", {
      learnerId,
      lesson,
      completedAt: completedAt.toISOString(),
      completedBy: how,
    });
  }
  return completedAt;
}

/**
 * A frontend reports that a learner read a lesson without exercises. Idempotent: repeating it
 * answers the first completion time and emits nothing new.
 */
export async function completeReadingLesson(
  db: Database,
  input: { clientId: string; learnerId: string; lesson: LessonShape },
): Promise<{ completedAt: Date; firstTime: boolean }> {
  const { clientId, learnerId, lesson } = input;
  if (lesson.exercises.length > 0) {
    throw new LessonHasExercises(
      `Lesson "${lesson.slug}" is completed by passing its exercises (${lesson.exercises.join(", ")}), not by reading it.`,
    );
  }
  return db.$transaction(async (tx) => {
    await ensureLearner(tx, clientId, learnerId);
    const inserted = await insertCompletion(tx, clientId, learnerId, lesson.slug, "read");
    if (inserted) return { completedAt: inserted, firstTime: true };
    const existing = await tx.lessonCompletion.findUniqueOrThrow({
      where: { clientId_learnerId_lessonSlug: { clientId, learnerId, lessonSlug: lesson.slug } },
    });
    return { completedAt: existing.completedAt, firstTime: false };
  });
}

/** Called in a submission's transaction after a first pass: completes the lesson once all its exercises pass. */
export async function completeLessonIfAllPassed(
  tx: Prisma.TransactionClient,
  input: { clientId: string; learnerId: string; lesson: LessonShape },
): Promise<void> {
  const { clientId, learnerId, lesson } = input;
  const passed = await tx.exerciseProgress.count({
    where: { clientId, learnerId, exerciseId: { in: [...lesson.exercises] }, passed: true },
  });
  if (passed === lesson.exercises.length)
    await insertCompletion(tx, clientId, learnerId, lesson.slug, "exercises-passed");
}
