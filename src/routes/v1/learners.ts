import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { maxScoreOf } from "../../grading/exercise-view.js";
import { MAX_PAGE_SIZE, PageQuerySchema, pageSchema } from "../../http/pagination.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import { LearnerProgressSchema, readLearnerProgress } from "../../progress/learner-progress.js";
import { LearnerIdSchema, SubmissionSchema } from "../../submissions/submission-schema.js";
import { listLearnerSubmissions } from "../../submissions/submission-store.js";

const LearnerParamsSchema = z.object({ learnerId: LearnerIdSchema });

export const learnerRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/learners/:learnerId/submissions",
    {
      schema: {
        tags: ["submissions"],
        summary: "A learner's submissions, newest first",
        description: `Cursor-paginated: pass the previous page's nextCursor as cursor. At most ${MAX_PAGE_SIZE} per page.`,
        params: LearnerParamsSchema,
        querystring: PageQuerySchema.extend({
          exerciseId: z.string().max(100).optional().describe("Only this exercise's submissions"),
        }),
        response: { 200: pageSchema(SubmissionSchema).meta({ id: "SubmissionPage" }), 400: ProblemSchema },
      },
    },
    async (request) => listLearnerSubmissions(app.prisma, request.params.learnerId, request.query),
  );

  app.get(
    "/v1/learners/:learnerId/progress",
    {
      schema: {
        tags: ["progress"],
        summary: "Attempts, best score and pass per exercise; completion per lesson; the course's overall percentage",
        description: "A learner with no submissions yet has zero progress, not a 404.",
        params: LearnerParamsSchema,
        response: { 200: LearnerProgressSchema, 400: ProblemSchema },
      },
    },
    async (request) => {
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
        request.params.learnerId,
      );
    },
  );
};
