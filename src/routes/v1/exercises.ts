import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { hasScope } from "../../clients/scopes.js";
import { ExerciseDetailSchema, ExerciseListSchema } from "../../content/exercise-views.js";
import { NotFound } from "../../errors/domain-errors.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { compiledSerializerCompiler } from "../../http/compiled-serializer.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/negotiate-language.js";
import { sendRepresentation } from "../../http/representation.js";
import { clientOf } from "../../plugins/auth.js";
import { ExerciseIdSchema } from "../../schemas/ids.js";
import { ProblemSchema } from "../../schemas/problem.js";
import { SubmissionRequestSchema, SubmissionSchema } from "../../submissions/submission-schema.js";
import { submitExercise } from "../../submissions/submit-exercise.js";

const ExerciseParamsSchema = z.object({ id: ExerciseIdSchema });

export const exerciseRoutes: FastifyPluginAsyncZod = async (app) => {
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
      return sendRepresentation(request, reply, app.catalog.exerciseList[language]);
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
      const exercise = app.catalog.exercises.get(request.params.id);
      if (!exercise) throw new NotFound(`There is no exercise "${request.params.id}". GET /v1/exercises lists them.`);
      const language = negotiateLanguage(request, reply, request.query.lang);
      return sendRepresentation(request, reply, exercise[language]);
    },
  );

  app.post(
    "/v1/exercises/:id/submissions",
    {
      serializerCompiler: compiledSerializerCompiler,
      config: { scope: "submissions:write", learnerSession: "own-learner" },
      schema: {
        tags: ["exercises"],
        summary: "Grade the learner's container, or answers, for this exercise and record the attempt",
        description:
          "Reads the container through the Docker Engine API and scores each check. A missing container is a " +
          "graded result (the `exists` check fails), not a 404. If the engine is unreachable or slow the answer " +
          "is 503 with Retry-After, and nothing is stored. Feedback uses the language negotiated from ?lang or " +
          "Accept-Language. With an Idempotency-Key header, a retry of the same request (same key, same body) " +
          "answers the original response and stores nothing new, on any replica; the same key with another " +
          "request is 422. A question exercise (kind: question) is graded on `answers` instead, without the engine: " +
          "each question is one check, and `containerName` is then a 400, as `answers` is for a container exercise.",
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
          502: ProblemSchema.describe(
            "engine-refused: the learner's Docker engine refused this service (an HTTP error, or a TLS certificate it did not accept); nothing was stored",
          ),
          503: ProblemSchema.describe(
            "engine-unavailable: the Docker engine could not be reached, timed out or failed; nothing was stored",
          ),
          504: ProblemSchema.describe(
            "commit-outcome-unknown: the database did not confirm in time whether the attempt was stored; it may have been. Retry with the Idempotency-Key the problem names (yours, or one the service made): the retry answers the stored attempt if there is one, and grades anew if not",
          ),
          ...authErrorResponses,
          429: ProblemSchema.describe(
            "Rate limit exceeded, or too-many-gradings-in-flight: this client (GRADINGS_IN_FLIGHT_PER_CLIENT) or learner (GRADINGS_IN_FLIGHT_PER_LEARNER) already has that many gradings running on the shared engine and its line of waiting ones is full, or a waiting one's turn did not come in time; nothing was stored; retry after Retry-After",
          ),
        },
      },
    },
    async (request, reply) => {
      const language = negotiateLanguage(request, reply, request.query.lang);
      const client = clientOf(request);
      const { submission, replayed, enqueued } = await submitExercise(
        {
          storage: app.storage,
          course: app.curriculum,
          engineFor: app.engineForLearner,
          admission: app.gradingAdmission,
        },
        {
          clientId: client.id,
          mayUseSharedEngine: hasScope(client.scopes, "engine:shared"),
          exerciseId: request.params.id,
          learnerId: request.body.learnerId,
          containerName: request.body.containerName,
          answers: request.body.answers,
          language,
          idempotencyKey: request.headers["idempotency-key"],
          xapiHomePage: client.homePage ?? app.config.xapiHomePage,
        },
      );
      if (replayed) reply.header("idempotent-replayed", "true");
      if (enqueued > 0) app.pokeDeliveries();
      reply.header("location", `/v1/submissions/${submission.id}`);
      return reply.code(201).send(submission);
    },
  );
};
