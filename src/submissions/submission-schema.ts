import { z } from "zod";
import { ContainerNameSchema } from "../docker/container-name.js";
import { GradeStatusSchema } from "../grading/grade.js";
import { AnswersSchema } from "../grading/grade-answers.js";
import { CheckResultSchema } from "../grading/localize-grade.js";
import { LearnerIdSchema } from "../schemas/ids.js";
import { LanguageSchema } from "../schemas/language.js";

export const SubmissionRequestSchema = z
  .strictObject({
    learnerId: LearnerIdSchema,
    containerName: ContainerNameSchema.optional().describe(
      "The container to grade; defaults to the exercise's containerName. Must match Docker's rule ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ (max 128). Container exercises only.",
    ),
    answers: AnswersSchema.optional(),
  })
  .meta({ id: "SubmissionRequest" });

/** One graded attempt, as POST answers it and every read returns it. */
export const SubmissionSchema = z
  .object({
    id: z.uuid(),
    exerciseId: z.string(),
    learnerId: z.string(),
    containerName: z.string().describe("The container graded; empty for a question exercise"),
    status: GradeStatusSchema,
    score: z.number().int(),
    maxScore: z.number().int(),
    checks: z.array(CheckResultSchema),
    hints: z.array(z.string()).describe("Suggestions that depend on what the engine showed; empty when passed"),
    gradedAt: z.iso.datetime(),
    durationMs: z.number().int().describe("Time spent asking the engine and grading"),
  })
  .meta({ id: "Submission" });
export type Submission = z.infer<typeof SubmissionSchema>;

export const SubmissionDetailSchema = SubmissionSchema.extend({
  language: LanguageSchema.describe("The language the feedback was written in when graded"),
  evidence: z
    .record(z.string(), z.unknown())
    .describe("The inspect fields each check read, kept so the grade can be audited after the container is gone"),
}).meta({ id: "SubmissionDetail" });
export type SubmissionDetail = z.infer<typeof SubmissionDetailSchema>;
