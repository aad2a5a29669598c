import { z } from "zod";
import { statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { unknownLearner } from "../learners/learners.js";

const ExerciseProgressSchema = z
  .object({
    exerciseId: z.string(),
    lesson: z.string(),
    attempts: z.number().int(),
    bestScore: z.number().int(),
    maxScore: z.number().int(),
    passed: z.boolean(),
    firstPassedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "ExerciseProgress" });

const LessonProgressSchema = z
  .object({
    lesson: z.string(),
    exercises: z.number().int().describe("Graded exercises in the lesson"),
    passed: z.number().int().describe("Of those, how many the learner has passed"),
    completion: z
      .number()
      .min(0)
      .max(100)
      .describe("passed / exercises, as a percentage; for a lesson without exercises, 100 once read"),
    completed: z.boolean().describe("Every exercise passed; for a lesson without exercises, reported read"),
    completedAt: z.iso.datetime().nullable().describe("When the lesson became completed"),
  })
  .meta({ id: "LessonProgress" });

export const LearnerProgressSchema = z
  .object({
    learnerId: z.string(),
    exercises: z.array(ExerciseProgressSchema).describe("Every exercise of the course, in course order"),
    lessons: z
      .array(LessonProgressSchema)
      .describe(
        "Every lesson, in course order. Lessons without exercises are completed through POST …/lessons/{slug}/complete",
      ),
    overall: z.object({
      exercises: z.number().int(),
      passed: z.number().int(),
      percentage: z.number().min(0).max(100).describe("Passed exercises over all exercises, one decimal"),
    }),
  })
  .meta({ id: "LearnerProgress" });
type LearnerProgress = z.infer<typeof LearnerProgressSchema>;

/** The course's shape as progress needs it: lessons in order, each with its exercise ids. */
interface CourseExercises {
  lessons: readonly { slug: string; exercises: readonly string[] }[];
  maxScoreOf(exerciseId: string): number;
}

/** Timestamps leave PostgreSQL as the ISO strings the API answers (columns hold UTC wall-clock time). */
const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Exported for the progress benchmark's lean baseline server, which sends the same SQL through plain pg. */
export const readProgressOf = statement<[clientId: string, learnerId: string]>()(
  "read-learner-progress",
  `SELECT
     COALESCE((SELECT json_agg(json_build_object(
                'exerciseId', p.exercise_id, 'attempts', p.attempts, 'bestScore', p.best_score,
                'passed', p.passed, 'firstPassedAt', to_char(p.first_passed_at, ${ISO_UTC})))
                 FROM exercise_progress p WHERE p.client_id = l.client_id AND p.learner_id = l.id), '[]') AS exercises,
     COALESCE((SELECT json_agg(json_build_object('lesson', c.lesson_slug, 'completedAt', to_char(c.completed_at, ${ISO_UTC})))
                 FROM lesson_completions c WHERE c.client_id = l.client_id AND c.learner_id = l.id), '[]') AS completions
     FROM learners l WHERE l.client_id = $1 AND l.id = $2`,
  z.object({
    exercises: z.array(
      z.object({
        exerciseId: z.string(),
        attempts: z.number(),
        bestScore: z.number(),
        passed: z.boolean(),
        firstPassedAt: z.string().nullable(),
      }),
    ),
    completions: z.array(z.object({ lesson: z.string(), completedAt: z.string() })),
  }),
);

/**
 * One statement whatever the number of exercises: whether this client knows the learner (no row:
 * 404), their progress rows and their lesson completions; the rest is derived from the course. A
 * learner who has submitted nothing simply has no progress yet.
 */
export async function readLearnerProgress(
  { sql }: Storage,
  course: CourseExercises,
  clientId: string,
  learnerId: string,
): Promise<LearnerProgress> {
  const [found] = await sql.rows(readProgressOf, [clientId, learnerId]);
  if (!found) throw unknownLearner(learnerId);
  const { exercises: rows, completions } = found;
  const byExercise = new Map(rows.map((row) => [row.exerciseId, row]));
  const completedAt = new Map(completions.map((row) => [row.lesson, row.completedAt]));

  const exercises: LearnerProgress["exercises"] = [];
  const lessons: LearnerProgress["lessons"] = [];
  for (const lesson of course.lessons) {
    if (lesson.exercises.length === 0) {
      const read = completedAt.get(lesson.slug) ?? null;
      lessons.push({
        lesson: lesson.slug,
        exercises: 0,
        passed: 0,
        completion: read ? 100 : 0,
        completed: read !== null,
        completedAt: read,
      });
      continue;
    }
    let passedInLesson = 0;
    for (const exerciseId of lesson.exercises) {
      const row = byExercise.get(exerciseId);
      if (row?.passed) passedInLesson++;
      exercises.push({
        exerciseId,
        lesson: lesson.slug,
        attempts: row?.attempts ?? 0,
        bestScore: row?.bestScore ?? 0,
        maxScore: course.maxScoreOf(exerciseId),
        passed: row?.passed ?? false,
        firstPassedAt: row?.firstPassedAt ?? null,
      });
    }
    lessons.push({
      lesson: lesson.slug,
      exercises: lesson.exercises.length,
      passed: passedInLesson,
      completion: percentage(passedInLesson, lesson.exercises.length),
      completed: passedInLesson === lesson.exercises.length,
      completedAt: passedInLesson === lesson.exercises.length ? (completedAt.get(lesson.slug) ?? null) : null,
    });
  }
  const passed = exercises.filter((e) => e.passed).length;
  return {
    learnerId,
    exercises,
    lessons,
    overall: { exercises: exercises.length, passed, percentage: percentage(passed, exercises.length) },
  };
}

function percentage(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10;
}
