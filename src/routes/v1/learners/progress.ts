import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { maxScoreOf } from "../../../grading/exercise.js";
import { authErrorResponses } from "../../../http/auth-responses.js";
import { compiledSerializerCompiler } from "../../../http/compiled-serializer.js";
import { clientOf } from "../../../plugins/auth.js";
import { LearnerProgressSchema, readLearnerProgress } from "../../../progress/learner-progress.js";
import { ProblemSchema } from "../../../schemas/problem.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const progressRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/learners/:learnerId/progress",
    {
      serializerCompiler: compiledSerializerCompiler,
      config: { scope: "progress:read", learnerSession: "own-learner" },
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
      const { lessons, exercises } = app.curriculum;
      return readLearnerProgress(
        app.storage,
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
