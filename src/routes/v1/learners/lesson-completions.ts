import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NotFound } from "../../../errors/domain-errors.js";
import { authErrorResponses } from "../../../http/auth-responses.js";
import { clientOf } from "../../../plugins/auth.js";
import { completeReadingLesson } from "../../../progress/lesson-completion.js";
import { ProblemSchema } from "../../../schemas/problem.js";
import { LearnerParamsSchema } from "./learner-params.js";

const LessonCompletionSchema = z
  .object({
    learnerId: z.string(),
    lesson: z.string(),
    completed: z.literal(true),
    completedAt: z.iso.datetime().describe("The first completion; repeating the call does not move it"),
  })
  .meta({ id: "LessonCompletion" });

export const lessonCompletionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/v1/learners/:learnerId/lessons/:slug/complete",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["progress"],
        summary: "Record that a learner read a lesson without exercises (idempotent)",
        description:
          "The first call completes the lesson and emits lesson.completed; repeating it answers the same " +
          "completedAt and emits nothing. Lessons with exercises are completed by passing them (409 here).",
        params: LearnerParamsSchema.extend({ slug: z.string().max(100) }),
        response: {
          200: LessonCompletionSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema.describe("The lesson has exercises: passing them completes it"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => {
      const { learnerId, slug } = request.params;
      const lesson = app.curriculum.lessons.find((l) => l.slug === slug);
      if (!lesson) throw new NotFound(`There is no lesson "${slug}". GET /v1/lessons lists them.`);
      const { completedAt, firstTime } = await completeReadingLesson(app.storage, {
        clientId: clientOf(request).id,
        learnerId,
        lesson,
      });
      if (firstTime) app.pokeDeliveries();
      return { learnerId, lesson: slug, completed: true as const, completedAt: completedAt.toISOString() };
    },
  );
};
