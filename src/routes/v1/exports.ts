import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors/problem.js";
import { EXPORT_FORMATS, GRADE_EXPORTS } from "../../exports/grade-exports.js";
import { findGradedSubmission, listGradedSubmissions } from "../../exports/stored-submissions.js";
import { toXapiStatement, XapiStatementSchema } from "../../exports/xapi.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { MAX_PAGE_SIZE, PageQuerySchema, pageSchema } from "../../http/pagination.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import { requireKnownLearner } from "../../learners/learners.js";
import { clientOf } from "../../plugins/auth.js";
import { LearnerIdSchema } from "../../submissions/submission-schema.js";

const ExportFormatSchema = z
  .enum(EXPORT_FORMATS as [string, ...string[]])
  .describe(
    "lti-ags: LTI 1.3 AGS score; xapi: xAPI 1.0.3 statement; gradescope: Gradescope results.json; " +
      "prairielearn: PrairieLearn results.json; xqueue: edX XQueue reply body",
  );

export const exportRoutes: FastifyPluginAsyncZod = async (app) => {
  const exerciseOf = (exerciseId: string) => {
    const exercise = app.curriculum.exercises.get(exerciseId);
    if (!exercise)
      throw notFound(`Exercise "${exerciseId}" is no longer in the course; its grades cannot be exported.`);
    return exercise;
  };
  const homePageOf = (client: { homePage: string | null }) => client.homePage ?? app.config.xapiHomePage;

  app.get(
    "/v1/submissions/:id/export/:format",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["exports"],
        summary: "One stored grade in an LMS or autograder format",
        description:
          "Pure re-rendering of the stored result: the same submission always exports the same document " +
          "(the xAPI statement id is the submission id, so an LRS stores it once).",
        params: z.object({ id: z.uuid(), format: ExportFormatSchema }),
        response: {
          200: z.union(EXPORT_FORMATS.map((format) => GRADE_EXPORTS[format as keyof typeof GRADE_EXPORTS].schema)),
          400: ProblemSchema,
          404: ProblemSchema,
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const client = clientOf(request);
      const submission = await findGradedSubmission(app.prisma, client.id, request.params.id);
      if (!submission) throw notFound(`There is no submission ${request.params.id}.`);
      const format = GRADE_EXPORTS[request.params.format as keyof typeof GRADE_EXPORTS];
      const document = format.render(submission, exerciseOf(submission.exerciseId), { homePage: homePageOf(client) });
      return reply.type(format.mediaType).send(document);
    },
  );

  app.get(
    "/v1/learners/:learnerId/statements",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["exports"],
        summary: "Every xAPI statement of one learner, oldest first, for import into an LRS",
        description: `Cursor-paginated, at most ${MAX_PAGE_SIZE} per page. One statement per graded submission.`,
        params: z.object({ learnerId: LearnerIdSchema }),
        querystring: PageQuerySchema,
        response: {
          200: pageSchema(XapiStatementSchema).meta({ id: "XapiStatementPage" }),
          400: ProblemSchema,
          404: ProblemSchema.describe("This API client has no such learner"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const client = clientOf(request);
      await requireKnownLearner(app.prisma, client.id, request.params.learnerId);
      const page = await listGradedSubmissions(app.prisma, client.id, request.params.learnerId, request.query);
      const homePage = homePageOf(client);
      return {
        items: page.items.map((submission) =>
          toXapiStatement(submission, exerciseOf(submission.exerciseId), { homePage }),
        ),
        nextCursor: page.nextCursor,
      };
    },
  );
};
