import { z } from "zod";
import type { SubmissionInWords } from "../submission-schema.js";
import { type ExportedExercise, plainTextSummary } from "./graded-submission.js";

const Visibility = z.enum(["hidden", "after_due_date", "after_published", "visible"]);
const OutputFormat = z.enum(["text", "html", "simple_format", "md", "ansi"]);

/** One test of a Gradescope autograder's results.json (field list of the autograder specification). */
const GradescopeTestSchema = z.strictObject({
  score: z.number().optional(),
  max_score: z.number().optional(),
  status: z.enum(["passed", "failed"]).optional(),
  name: z.string().optional(),
  name_format: OutputFormat.optional(),
  number: z.string().optional(),
  output: z.string().optional(),
  output_format: OutputFormat.optional(),
  tags: z.array(z.string()).optional(),
  visibility: Visibility.optional(),
  extra_data: z.record(z.string(), z.unknown()).optional(),
});

/** /autograder/results/results.json: the score is required unless every test carries one. */
export const GradescopeResultsSchema = z
  .strictObject({
    score: z.number().optional(),
    execution_time: z.number().int().min(0).optional().describe("Seconds"),
    output: z.string().optional(),
    output_format: OutputFormat.optional(),
    test_output_format: OutputFormat.optional(),
    test_name_format: OutputFormat.optional(),
    visibility: Visibility.optional(),
    stdout_visibility: Visibility.optional(),
    extra_data: z.record(z.string(), z.unknown()).optional(),
    tests: z.array(GradescopeTestSchema).optional(),
    leaderboard: z
      .array(
        z.strictObject({
          name: z.string(),
          value: z.union([z.number(), z.string()]),
          order: z.enum(["asc", "desc"]).optional(),
        }),
      )
      .optional(),
  })
  .refine((r) => r.score !== undefined || (r.tests ?? []).every((t) => t.score !== undefined), {
    message: "score is required unless every test has one",
  })
  .meta({ id: "GradescopeResults" });
type GradescopeResults = z.infer<typeof GradescopeResultsSchema>;

/**
 * Students see each test's name, points and feedback. The expected and actual values would hand
 * them the answer, so by default they go to each test's `extra_data`, which Gradescope keeps for
 * instructors and never shows to students; `showExpected` puts them in the visible output instead.
 * The autograder's stdout is ours, not the student's, so it stays hidden.
 */
export function toGradescopeResults(
  submission: SubmissionInWords,
  exercise: ExportedExercise,
  options: { showExpected?: boolean | undefined } = {},
): GradescopeResults {
  return {
    score: submission.score,
    execution_time: Math.round(submission.durationMs / 1000),
    output: plainTextSummary(submission, exercise),
    output_format: "text",
    visibility: "visible",
    stdout_visibility: "hidden",
    tests: submission.checks.map((check, index) => {
      const values = `expected: ${check.expected}\nactual: ${check.actual ?? "(no container)"}`;
      return {
        name: check.description,
        number: String(index + 1),
        score: check.points,
        max_score: check.maxPoints,
        status: check.passed ? "passed" : "failed",
        output: options.showExpected ? `${check.feedback}\n${values}` : check.feedback,
        output_format: "text",
        tags: [check.id],
        visibility: "visible",
        extra_data: { expected: check.expected, actual: check.actual },
      };
    }),
    extra_data: { submissionId: submission.id, exerciseId: submission.exerciseId, learnerId: submission.learnerId },
  };
}
