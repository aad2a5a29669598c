import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { maxScoreOf } from "../../grading/exercise-view.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { MAX_PAGE_SIZE, PageQuerySchema, pageSchema } from "../../http/pagination.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import { requireKnownLearner } from "../../learners/learners.js";
import { clientOf } from "../../plugins/auth.js";
import { LearnerProgressSchema, readLearnerProgress } from "../../progress/learner-progress.js";
import { LearnerIdSchema, SubmissionSchema } from "../../submissions/submission-schema.js";
import { listLearnerSubmissions } from "../../submissions/submission-store.js";

const LearnerParamsSchema = z.object({ learnerId: LearnerIdSchema });

export const learnerRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/learners/:learnerId/submissions",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["submissions"],
        summary: "A learner's submissions, newest first",
        description: `Cursor-paginated: pass the previous page's nextCursor as cursor. At most ${MAX_PAGE_SIZE} per page.`,
        params: LearnerParamsSchema,
        querystring: PageQuerySchema.extend({
          exerciseId: z.string().max(100).optional().describe("Only this exercise's submissions"),
        }),
        response: {
          200: pageSchema(SubmissionSchema).meta({ id: "SubmissionPage" }),
          400: ProblemSchema,
          404: ProblemSchema.describe("This API client has no such learner"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const clientId = clientOf(request).id;
      await requireKnownLearner(app.prisma, clientId, request.params.learnerId);
      return listLearnerSubmissions(app.prisma, clientId, request.params.learnerId, request.query);
    },
  );

  app.get(
    "/v1/learners/:learnerId/progress",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["progress"],
        summary: "Attempts, best score and pass per exercise; completion per lesson; the course's overall percentage",
        description:
          "A learner this client knows (from a submission, a lesson completion or a lab) but who has passed nothing " +
          "has zero progress. A learner id this client never used, including another client's learner, is a 404.",
        params: LearnerParamsSchema,
        response: {
          200: LearnerProgressSchema,
          400: ProblemSchema,
          404: ProblemSchema.describe("This API client has no such learner"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const clientId = clientOf(request).id;
      await requireKnownLearner(app.prisma, clientId, request.params.learnerId);
      const { lessons, exercises } = app.curriculum;
      return readLearnerProgress(
        app.prisma,
        {
          lessons,
          maxScoreOf: (id) => {
            const exercise = exercises.get(id);
            return exercise ? maxScoreOf(exercise) : 0;
          },
        },
        clientId,
        request.params.learnerId,
      );
    },
  );
};
