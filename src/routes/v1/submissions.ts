import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../http/auth-responses.js";
import { clientOf } from "../../plugins/auth.js";
import { ProblemSchema } from "../../schemas/problem.js";
import { exportSubmission } from "../../submissions/export-submission.js";
import { EXPORT_FORMATS, GRADE_EXPORTS } from "../../submissions/exports/grade-exports.js";
import { readSubmission } from "../../submissions/read-submissions.js";
import { SubmissionDetailSchema } from "../../submissions/submission-schema.js";

const ExportFormatSchema = z
  .enum(EXPORT_FORMATS)
  .describe(
    "lti-ags: LTI 1.3 AGS score; xapi: xAPI 1.0.3 statement; gradescope: Gradescope results.json; " +
      "prairielearn: PrairieLearn results.json; xqueue: edX XQueue reply body",
  );

const ExportQuerySchema = z.object({
  maxPoints: z.coerce
    .number()
    .positive()
    .max(1_000_000)
    .optional()
    .describe(
      "xqueue only: the edX problem's max points; the score is scaled to them (default: the exercise's points)",
    ),
  showExpected: z
    .enum(["true", "false"])
    .optional()
    .describe("gradescope only: true shows students each check's expected and actual values (default: hidden)"),
});

export const submissionRoutes: FastifyPluginAsyncZod = async (app) => {
  const submissionDeps = { storage: app.storage, curriculum: app.curriculum, xapiHomePage: app.config.xapiHomePage };

  app.get(
    "/v1/submissions/:id",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["submissions"],
        summary: "One graded submission, with the evidence it was graded on",
        params: z.object({ id: z.uuid().describe("The id a POST …/submissions answered with") }),
        response: { 200: SubmissionDetailSchema, 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => readSubmission(submissionDeps, clientOf(request).id, request.params.id),
  );

  app.get(
    "/v1/submissions/:id/export/:format",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["exports"],
        summary: "One stored grade in an LMS or autograder format",
        description:
          "A rendering of the stored result. The xAPI statement is the one frozen when the grade was made " +
          "(its id is the submission id), so every export of it is identical and an LRS stores it once.",
        params: z.object({ id: z.uuid(), format: ExportFormatSchema }),
        querystring: ExportQuerySchema,
        response: {
          200: z.union(EXPORT_FORMATS.map((format) => GRADE_EXPORTS[format].schema)),
          400: ProblemSchema,
          404: ProblemSchema,
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { mediaType, document } = await exportSubmission(submissionDeps, clientOf(request), {
        submissionId: request.params.id,
        format: request.params.format,
        maxPoints: request.query.maxPoints,
        showExpected: request.query.showExpected === "true",
      });
      return reply.type(mediaType).send(document);
    },
  );
};
