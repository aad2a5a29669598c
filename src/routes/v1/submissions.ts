import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors/problem.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import { clientOf } from "../../plugins/auth.js";
import { SubmissionDetailSchema } from "../../submissions/submission-schema.js";
import { findSubmission } from "../../submissions/submission-store.js";

export const submissionRoutes: FastifyPluginAsyncZod = async (app) => {
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
    async (request) => {
      const submission = await findSubmission(app.prisma, clientOf(request).id, request.params.id);
      if (!submission) throw notFound(`There is no submission ${request.params.id}.`);
      return submission;
    },
  );
};
