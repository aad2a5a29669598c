import { z } from "zod";
import { ContainerStatusSchema } from "./exercise.js";
import { GraderMessageSchema } from "./messages.js";

/**
 * A grade as it is stored: language-neutral. Values are what Docker showed, or one of the grader's
 * messages with its values; feedback and hints are written in a language only when a response or
 * an export is built, so a grade made in Spanish reads in English too.
 */
const ShownSchema = z.union([
  z.string(),
  z.strictObject({ say: GraderMessageSchema, with: z.record(z.string(), z.string()).default({}) }),
]);
export type Shown = z.infer<typeof ShownSchema>;

export const GradedCheckSchema = z.strictObject({
  id: z.string(),
  passed: z.boolean(),
  points: z.number().int(),
  maxPoints: z.number().int(),
  expected: ShownSchema,
  /** null: there was no container to look at. */
  actual: ShownSchema.nullable(),
});
export type GradedCheck = z.infer<typeof GradedCheckSchema>;

/** Which hint fired: one of the exercise's (named by its condition) or one of the grader's own. */
export const HintRefSchema = z.union([
  z.strictObject({
    when: z.strictObject({
      state: z.union([ContainerStatusSchema, z.literal("missing")]).optional(),
      failed: z.string().optional(),
    }),
    with: z.record(z.string(), z.string()),
  }),
  z.strictObject({ say: GraderMessageSchema, with: z.record(z.string(), z.string()) }),
]);
export type HintRef = z.infer<typeof HintRefSchema>;

export const GradeStatusSchema = z.enum(["passed", "failed"]).describe("passed when every check passed");

const JsonSchema = z.json();
export type Json = z.infer<typeof JsonSchema>;

/** The inspect fields the checks read, per check, so a grade can be audited after the container is gone. */
export const EvidenceSnapshotSchema = z.object({
  containerName: z.string(),
  found: z.boolean(),
  container: z.object({ id: z.string(), name: z.string(), status: z.string() }).nullable(),
  checks: z.record(z.string(), z.record(z.string(), JsonSchema)),
});
export type EvidenceSnapshot = z.infer<typeof EvidenceSnapshotSchema>;

export interface Grade {
  status: z.infer<typeof GradeStatusSchema>;
  score: number;
  maxScore: number;
  checks: GradedCheck[];
  hints: HintRef[];
  evidence: EvidenceSnapshot;
}
