import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../../http/auth-responses.js";
import { deleteLab, getLab, LabRequestSchema, LabSchema, setLab } from "../../../labs/learner-labs.js";
import { clientOf } from "../../../plugins/auth.js";
import { ProblemSchema } from "../../../schemas/problem.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const labRoutes: FastifyPluginAsyncZod = async (app) => {
  const settings = { allowlist: app.config.labEngineAllowlist, secretsKey: app.config.secretsKey };

  app.put(
    "/v1/learners/:learnerId/lab",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["labs"],
        summary: "Grade this learner on one of this API client's lab engines",
        description:
          "The engine is named by engineId, or by engineUrl, and must be registered to this client (otherwise " +
          "422 naming the field): an admin registers engines (POST /v1/lab-engines), and no client can claim " +
          "one by naming its path. TLS keys are encrypted at rest with SECRETS_KEY and never returned.",
        params: LearnerParamsSchema,
        body: LabRequestSchema,
        response: { 200: LabSchema, 400: ProblemSchema, 422: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => {
      const clientId = clientOf(request).id;
      const lab = await setLab(app.storage, settings, {
        clientId,
        learnerId: request.params.learnerId,
        ...request.body,
      });
      app.labSet(clientId, request.params.learnerId);
      return lab;
    },
  );

  app.get(
    "/v1/learners/:learnerId/lab",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["labs"],
        summary: "The engine this learner is graded on",
        params: LearnerParamsSchema,
        response: { 200: LabSchema, 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => getLab(app.storage, clientOf(request).id, request.params.learnerId),
  );

  app.delete(
    "/v1/learners/:learnerId/lab",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["labs"],
        summary: "Grade this learner on the default engine again",
        params: LearnerParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deleteLab(app.storage, clientOf(request).id, request.params.learnerId);
      return reply.code(204).send(null);
    },
  );
};
