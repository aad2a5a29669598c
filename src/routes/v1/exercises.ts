import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors/problem.js";
import {
  ExerciseDetailSchema,
  ExerciseListSchema,
  exerciseDetail,
  exerciseSummary,
} from "../../grading/exercise-view.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/language.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import { SubmissionRequestSchema, SubmissionSchema } from "../../submissions/submission-schema.js";
import { submitExercise } from "../../submissions/submit-exercise.js";

const ExerciseParamsSchema = z.object({
  id: z.string().max(100).describe("Exercise id, e.g. example2-en-segundo-plano"),
});

export const exerciseRoutes: FastifyPluginAsyncZod = async (app) => {
  const findExercise = (id: string) => {
    const exercise = app.curriculum.exercises.get(id);
    if (!exercise) throw notFound(`There is no exercise "${id}". GET /v1/exercises lists them.`);
    return exercise;
  };
  // Course order: lessons in order, each lesson's exercises as it lists them.
  const inCourseOrder = () =>
    app.curriculum.lessons.flatMap((lesson) => lesson.exercises.map((id) => findExercise(id)));

  app.get(
    "/v1/exercises",
    {
      schema: {
        tags: ["exercises"],
        summary: "Every graded exercise, in course order",
        querystring: LangQuerySchema,
        response: { 200: ExerciseListSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const language = negotiateLanguage(request, reply, request.query.lang);
      return { language, items: inCourseOrder().map((exercise) => exerciseSummary(exercise, language)) };
    },
  );

  app.get(
    "/v1/exercises/:id",
    {
      schema: {
        tags: ["exercises"],
        summary: "One exercise: its instructions and the checks it is graded on (never the solution)",
        params: ExerciseParamsSchema,
        querystring: LangQuerySchema,
        response: { 200: ExerciseDetailSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const exercise = findExercise(request.params.id);
      const language = negotiateLanguage(request, reply, request.query.lang);
      return exerciseDetail(exercise, language);
    },
  );

  app.post(
    "/v1/exercises/:id/submissions",
    {
      schema: {
        tags: ["exercises"],
        summary: "Grade the learner's container for this exercise and record the attempt",
        description:
          "Reads the container through the Docker Engine API and scores each check. A missing container is a " +
          "graded result (the `exists` check fails), not a 404. If the engine is unreachable or slow the answer " +
          "is 503 with Retry-After, and nothing is stored. Feedback uses the language negotiated from ?lang or " +
          "Accept-Language.",
        params: ExerciseParamsSchema,
        querystring: LangQuerySchema,
        body: SubmissionRequestSchema,
        response: {
          201: SubmissionSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          503: ProblemSchema.describe("The Docker engine is unreachable or timed out; nothing was stored"),
        },
      },
    },
    async (request, reply) => {
      const exercise = findExercise(request.params.id);
      const language = negotiateLanguage(request, reply, request.query.lang);
      const submission = await submitExercise(
        { db: app.prisma, engine: app.docker },
        {
          exercise,
          learnerId: request.body.learnerId,
          containerName: request.body.containerName ?? exercise.containerName,
          language,
        },
      );
      reply.header("location", `/v1/submissions/${submission.id}`);
      return reply.code(201).send(submission);
    },
  );
};
