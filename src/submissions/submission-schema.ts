import { z } from "zod";
import { ContainerNameSchema } from "../docker/container-name.js";
import { EvidenceSnapshotSchema, GradeStatusSchema } from "../grading/grade.js";
import { AnswersSchema } from "../grading/grade-answers.js";
import { CheckResultSchema, StoredGradeSchema } from "../grading/localize-grade.js";
import { LearnerIdSchema } from "../schemas/ids.js";
import { LanguageSchema } from "../schemas/language.js";

/**
 * A submission has two shapes: as it is stored, with its grade language-neutral, and as the API
 * answers it, with its grade in words. The second is built from the first's fields; every other
 * view of a submission is a pick of one of them.
 */

export const SubmissionRequestSchema = z
  .strictObject({
    learnerId: LearnerIdSchema,
    containerName: ContainerNameSchema.optional().describe(
      "The container to grade; defaults to the exercise's containerName. Must match Docker's rule ^[a-zA-Z0-9][a-zA-Z0-9_.-]+$ (max 128). Container exercises only.",
    ),
    answers: AnswersSchema.optional(),
  })
  .meta({ id: "SubmissionRequest" });

const EVIDENCE = "The inspect fields each check read, kept so the grade can be audited after the container is gone";

/** One graded attempt as the submissions table holds it. */
export const StoredSubmissionSchema = z.object({
  id: z.uuid(),
  exerciseId: z.string(),
  learnerId: z.string(),
  containerName: z.string().describe("The container graded; empty for a question exercise"),
  passed: z.boolean(),
  score: z.number().int(),
  maxScore: z.number().int(),
  grade: StoredGradeSchema,
  /** The language the learner asked for when graded: reads and exports write the grade in it. */
  language: LanguageSchema.describe("The language the feedback was written in when graded"),
  evidence: EvidenceSnapshotSchema.describe(EVIDENCE),
  gradedAt: z.date(),
  durationMs: z.number().int().describe("Time spent asking the engine and grading"),
});
export type StoredSubmission = z.infer<typeof StoredSubmissionSchema>;

/** What lists read: everything but the evidence, the largest column, which only the detail shows. */
export type StoredSubmissionSummary = Omit<StoredSubmission, "evidence">;

const stored = StoredSubmissionSchema.shape;

/** One graded attempt as the API answers it: the stored fields, with the grade in words. */
export const SubmissionDetailSchema = z
  .object({
    id: stored.id,
    exerciseId: stored.exerciseId,
    learnerId: stored.learnerId,
    containerName: stored.containerName,
    status: GradeStatusSchema,
    score: stored.score,
    maxScore: stored.maxScore,
    checks: z.array(CheckResultSchema),
    hints: z.array(z.string()).describe("Suggestions that depend on what the engine showed; empty when passed"),
    gradedAt: z.iso.datetime(),
    durationMs: stored.durationMs,
    language: stored.language,
    // Each value is JSON as the engine answered it; zod's recursive JSON schema has no OpenAPI form.
    evidence: stored.evidence
      .extend({ checks: z.record(z.string(), z.record(z.string(), z.unknown())) })
      .describe(EVIDENCE),
  })
  .meta({ id: "SubmissionDetail" });
export type SubmissionDetail = z.infer<typeof SubmissionDetailSchema>;

/** A submission in words, as exports and the outboxes read it: the detail without the evidence. */
export type SubmissionInWords = Omit<SubmissionDetail, "evidence">;

/** One graded attempt, as POST answers it, lists return it and events carry it. */
export const SubmissionSchema = SubmissionDetailSchema.omit({ language: true, evidence: true }).meta({
  id: "Submission",
});
export type Submission = z.infer<typeof SubmissionSchema>;
