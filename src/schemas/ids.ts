import { z } from "zod";

/** The LMS's own id for a learner; we never invent one. */
export const LearnerIdSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._:@-]+$/, "1–255 characters of A-Z a-z 0-9 . _ : @ -")
  // Ids end up in URL paths (/v1/learners/{id}/…), where these two mean "here" and "up".
  .refine((id) => id !== "." && id !== "..", 'must not be "." or ".."')
  .describe("The calling LMS's own learner id: 1–255 characters of [A-Za-z0-9._:@-]");

export const ExerciseIdSchema = z.string().max(100).describe("Exercise id, e.g. example2-en-segundo-plano");
