import { z } from "zod";

/** RFC 9457 problem details, as every error of this API is answered. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().describe("URI that identifies the problem type"),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({ path: z.string().describe("Where the bad value is, e.g. body.learnerId"), message: z.string() }),
      )
      .optional()
      .describe("For validation problems: each failing field"),
  })
  .meta({ id: "Problem" });
