import { z } from "zod";
import { type Sql, statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { enqueueWebhookEvent } from "../delivery/events.js";
import { LessonHasExercises } from "../errors/domain-errors.js";
import { ensureLearner } from "../learners/learners.js";

export interface LessonShape {
  slug: string;
  exercises: readonly string[];
}

/** Completion times leave PostgreSQL as ISO strings (the column holds UTC wall-clock time). */
const COMPLETED_AT = `to_char(completed_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "completedAt"`;

const CompletionRowSchema = z.object({ completedAt: z.string() });

const insertLessonCompletion = statement<[clientId: string, learnerId: string, lesson: string]>()(
  "insert-lesson-completion",
  `INSERT INTO lesson_completions (client_id, learner_id, lesson_slug) VALUES ($1::uuid, $2, $3)
   ON CONFLICT DO NOTHING RETURNING ${COMPLETED_AT}`,
  CompletionRowSchema,
);

const findLessonCompletion = statement<[clientId: string, learnerId: string, lesson: string]>()(
  "find-lesson-completion",
  `SELECT ${COMPLETED_AT} FROM lesson_completions WHERE client_id = $1::uuid AND learner_id = $2 AND lesson_slug = $3`,
  CompletionRowSchema,
);

const countPassedOf = statement<[clientId: string, learnerId: string, exerciseIds: string[]]>()(
  "count-passed-exercises",
  `SELECT count(*)::int AS passed FROM exercise_progress
    WHERE client_id = $1::uuid AND learner_id = $2 AND exercise_id = ANY($3::text[]) AND passed`,
  z.object({ passed: z.number() }),
);

/**
 * Inserts the completion unless it exists and, only when this call inserted it, emits
 * lesson.completed in the same transaction: exactly one event per learner and lesson, even
 * when two replicas complete the same lesson at once (the primary key decides). Answers the
 * completion time and how many deliveries were enqueued, or undefined if it existed already.
 */
async function insertCompletion(
  tx: Sql,
  clientId: string,
  learnerId: string,
  lesson: string,
  how: "read" | "exercises-passed",
): Promise<{ completedAt: Date; enqueued: number } | undefined> {
  const [inserted] = await tx.rows(insertLessonCompletion, [clientId, learnerId, lesson]);
  if (!inserted) return undefined;
  const enqueued = await enqueueWebhookEvent(tx, clientId, "lesson.completed", {
    learnerId,
    lesson,
    completedAt: inserted.completedAt,
    completedBy: how,
  });
  return { completedAt: new Date(inserted.completedAt), enqueued };
}

/**
 * A frontend reports that a learner read a lesson without exercises. Idempotent: repeating it
 * answers the first completion time and emits nothing new.
 */
export async function completeReadingLesson(
  { sql }: Storage,
  input: { clientId: string; learnerId: string; lesson: LessonShape },
): Promise<{ completedAt: Date; firstTime: boolean }> {
  const { clientId, learnerId, lesson } = input;
  if (lesson.exercises.length > 0) {
    throw new LessonHasExercises(
      `Lesson "${lesson.slug}" is completed by passing its exercises (${lesson.exercises.join(", ")}), not by reading it.`,
    );
  }
  return sql.transaction(async (tx) => {
    await ensureLearner(tx, clientId, learnerId);
    const inserted = await insertCompletion(tx, clientId, learnerId, lesson.slug, "read");
    if (inserted) return { completedAt: inserted.completedAt, firstTime: true };
    const [existing] = await tx.rows(findLessonCompletion, [clientId, learnerId, lesson.slug]);
    if (!existing) throw new Error(`lesson completion ${lesson.slug} vanished within its transaction`);
    return { completedAt: new Date(existing.completedAt), firstTime: false };
  });
}

/**
 * Called in a submission's transaction after a first pass: completes the lesson once all its
 * exercises pass. Answers how many webhook deliveries that enqueued.
 */
export async function completeLessonIfAllPassed(
  tx: Sql,
  input: { clientId: string; learnerId: string; lesson: LessonShape },
): Promise<number> {
  const { clientId, learnerId, lesson } = input;
  const [count] = await tx.rows(countPassedOf, [clientId, learnerId, [...lesson.exercises]]);
  if (count?.passed !== lesson.exercises.length) return 0;
  const inserted = await insertCompletion(tx, clientId, learnerId, lesson.slug, "exercises-passed");
  return inserted?.enqueued ?? 0;
}
