import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { notFound } from "../../errors/problem.js";
import {
  ExerciseDetailSchema,
  ExerciseListSchema,
  exerciseDetail,
  exerciseSummary,
} from "../../grading/exercise-view.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/language.js";
import { ProblemSchema } from "../../http/problem-schema.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  releaseIdempotencyKey,
  requestFingerprint,
} from "../../idempotency/idempotency.js";
import { clientOf } from "../../plugins/auth.js";
import { SubmissionRequestSchema, SubmissionSchema } from "../../submissions/submission-schema.js";
import { submitExercise } from "../../submissions/submit-exercise.js";
import { publishSubmissionEvents } from "../../webhooks/submission-events.js";

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
      config: { scope: "content:read" },
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
      config: { scope: "content:read" },
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
      config: { scope: "submissions:write" },
      schema: {
        tags: ["exercises"],
        summary: "Grade the learner's container for this exercise and record the attempt",
        description:
          "Reads the container through the Docker Engine API and scores each check. A missing container is a " +
          "graded result (the `exists` check fails), not a 404. If the engine is unreachable or slow the answer " +
          "is 503 with Retry-After, and nothing is stored. Feedback uses the language negotiated from ?lang or " +
          "Accept-Language. With an Idempotency-Key header, a retry of the same request (same key, same body) " +
          "answers the original response and stores nothing new, on any replica; the same key with another " +
          "request is 422.",
        params: ExerciseParamsSchema,
        querystring: LangQuerySchema,
        headers: z.object({
          "idempotency-key": z
            .string()
            .min(1)
            .max(255)
            .optional()
            .describe("A unique value per logical submission (e.g. a UUID), kept 24 hours or more"),
        }),
        body: SubmissionRequestSchema,
        response: {
          201: SubmissionSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          409: ProblemSchema.describe("A request with this Idempotency-Key is still being graded; retry shortly"),
          422: ProblemSchema.describe("This Idempotency-Key was used for a different request"),
          503: ProblemSchema.describe("The Docker engine is unreachable or timed out; nothing was stored"),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const exercise = findExercise(request.params.id);
      const language = negotiateLanguage(request, reply, request.query.lang);
      const client = clientOf(request);
      const key = request.headers["idempotency-key"];
      if (key) {
        const fingerprint = requestFingerprint({
          method: "POST",
          url: `/v1/exercises/${exercise.id}/submissions?lang=${language}`,
          body: request.body,
        });
        const claim = await claimIdempotencyKey(app.prisma, client.id, key, fingerprint);
        if (claim.kind === "replay") {
          return reply
            .code(claim.status as 201)
            .header("idempotent-replayed", "true")
            .send(claim.body as never);
        }
      }
      const lesson = app.curriculum.lessons.find((l) => l.exercises.includes(exercise.id));
      let submission: Awaited<ReturnType<typeof submitExercise>>;
      try {
        submission = await submitExercise(
          { db: app.prisma, engine: await app.engineForLearner(client.id, request.body.learnerId) },
          {
            clientId: client.id,
            exercise,
            learnerId: request.body.learnerId,
            containerName: request.body.containerName ?? exercise.containerName,
            language,
          },
          async (tx, recorded) => {
            await publishSubmissionEvents(tx, { clientId: client.id, ...recorded, lesson });
            if (key) await completeIdempotencyKey(tx, client.id, key, { status: 201, body: recorded.submission });
          },
        );
      } catch (error) {
        if (key) await releaseIdempotencyKey(app.prisma, client.id, key);
        throw error;
      }
      app.pokeWebhooks();
      reply.header("location", `/v1/submissions/${submission.id}`);
      return reply.code(201).send(submission);
    },
  );
};
