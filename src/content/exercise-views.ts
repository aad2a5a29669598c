import { z } from "zod";
import type { Exercise } from "../grading/exercise.js";
import { localize } from "../grading/messages.js";
import { type Language, LanguageSchema } from "../schemas/language.js";

/** An exercise as learners see it, in one language: the checks they will be graded on, never the solution. */
export const ExerciseCheckViewSchema = z
  .object({
    id: z.string(),
    type: z.string().describe("The kind of check, e.g. state, exitCode, portPublished"),
    description: z.string(),
    points: z.number().int(),
  })
  .meta({ id: "ExerciseCheck" });

export const ExerciseSummarySchema = z
  .object({
    id: z.string(),
    lesson: z.string().describe("Slug of the lesson this exercise belongs to"),
    title: z.string(),
    containerName: z.string().describe("The container name the exercise asks for; submissions default to it"),
    maxScore: z.number().int(),
  })
  .meta({ id: "ExerciseSummary" });

export const ExerciseListSchema = z
  .object({ language: LanguageSchema, items: z.array(ExerciseSummarySchema) })
  .meta({ id: "ExerciseList" });

export const ExerciseDetailSchema = ExerciseSummarySchema.extend({
  language: LanguageSchema,
  instructions: z.string().describe("Markdown"),
  checks: z.array(ExerciseCheckViewSchema),
}).meta({ id: "Exercise" });

export function maxScoreOf(exercise: Exercise): number {
  return exercise.checks.reduce((sum, check) => sum + check.points, 0);
}

export function exerciseSummary(exercise: Exercise, language: Language): z.infer<typeof ExerciseSummarySchema> {
  return {
    id: exercise.id,
    lesson: exercise.lesson,
    title: exercise.title[language],
    containerName: exercise.containerName,
    maxScore: maxScoreOf(exercise),
  };
}

export function exerciseDetail(exercise: Exercise, language: Language): z.infer<typeof ExerciseDetailSchema> {
  const name = exercise.containerName;
  return {
    ...exerciseSummary(exercise, language),
    language,
    instructions: exercise.instructions[language],
    checks: exercise.checks.map((check) => ({
      id: check.id,
      type: check.type,
      description: localize(check.description, language, { name }),
      points: check.points,
    })),
  };
}
