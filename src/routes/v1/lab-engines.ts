import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../http/auth-responses.js";
import { pagedList } from "../../http/paged-list.js";
import {
  deleteLabEngine,
  LabEngineSchema,
  listLabEngines,
  NewLabEngineSchema,
  registerLabEngine,
} from "../../labs/lab-engines.js";
import { clientOf } from "../../plugins/auth.js";
import { ProblemSchema } from "../../schemas/problem.js";

export const labEngineRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/v1/lab-engines",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["labs"],
        summary: "Register a Docker engine to one API client (admin)",
        description:
          "Only that client can then bind its learners to the engine (PUT /v1/learners/{learnerId}/lab). The URL " +
          "must match LAB_ENGINE_ALLOWLIST once symlinks are resolved (otherwise 422); an engine already " +
          "registered, under any spelling, is 409: one engine belongs to one client.",
        body: NewLabEngineSchema,
        response: {
          201: LabEngineSchema,
          400: ProblemSchema,
          404: ProblemSchema.describe("No such API client"),
          409: ProblemSchema,
          422: ProblemSchema,
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const engine = await registerLabEngine(app.storage, app.config.labEngineAllowlist, request.body);
      return reply.code(201).header("location", `/v1/lab-engines/${engine.id}`).send(engine);
    },
  );

  app.get(
    "/v1/lab-engines",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["labs"],
        summary: "The lab engines registered to this API client, oldest first",
        ...pagedList(LabEngineSchema, "LabEnginePage"),
      },
    },
    async (request) => listLabEngines(app.storage, clientOf(request).id, request.query),
  );

  app.delete(
    "/v1/lab-engines/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["labs"],
        summary: "Unregister a lab engine; the labs on it are removed with it (admin)",
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deleteLabEngine(app.storage, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
