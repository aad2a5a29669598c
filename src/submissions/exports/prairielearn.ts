import { z } from "zod";
import type { SubmissionInWords } from "../submission-schema.js";
import { type ExportedExercise, plainTextSummary, scaledScore } from "./graded-submission.js";

const ImageSchema = z.union([z.string(), z.strictObject({ url: z.string(), label: z.string().optional() })]);

/** One test of PrairieLearn's external grading results, as `<pl-external-grader-results>` renders it. */
const PrairieLearnTestSchema = z.strictObject({
  name: z.string(),
  description: z.string().optional(),
  points: z.number(),
  max_points: z.number(),
  message: z.string().optional(),
  output: z.string().optional(),
  images: z.array(ImageSchema).optional(),
});

/** /grade/results/results.json: `score` in [0, 1] is required when gradable. */
export const PrairieLearnResultsSchema = z
  .strictObject({
    gradable: z.boolean().optional(),
    score: z.number().min(0).max(1).optional(),
    format_errors: z.union([z.string(), z.array(z.string())]).optional(),
    message: z.string().optional(),
    output: z.string().optional(),
    images: z.array(ImageSchema).optional(),
    tests: z.array(PrairieLearnTestSchema).optional(),
  })
  .refine((r) => r.gradable === false || r.score !== undefined, { message: "a gradable result needs a score" })
  .meta({ id: "PrairieLearnResults" });
type PrairieLearnResults = z.infer<typeof PrairieLearnResultsSchema>;

/** What each test checks, in the submission's language: PrairieLearn shows it under the test's name. */
const DESCRIBE = {
  es: (points: number, expected: string) =>
    `Vale ${points} ${points === 1 ? "punto" : "puntos"}. Se espera: ${expected}`,
  en: (points: number, expected: string) =>
    `Worth ${points} ${points === 1 ? "point" : "points"}. Expected: ${expected}`,
} as const;

/** A stored submission was always gradable: a missing container is a graded result, not an invalid one. */
export function toPrairieLearnResults(submission: SubmissionInWords, exercise: ExportedExercise): PrairieLearnResults {
  return {
    gradable: true,
    score: scaledScore(submission),
    message: plainTextSummary(submission, exercise),
    tests: submission.checks.map((check) => ({
      name: check.description,
      description: DESCRIBE[submission.language](check.maxPoints, check.expected),
      points: check.points,
      max_points: check.maxPoints,
      message: check.feedback,
      output: `expected: ${check.expected}\nactual: ${check.actual ?? "(no container)"}`,
    })),
  };
}
