import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../../http/auth-responses.js";
import { clientOf } from "../../../plugins/auth.js";
import {
  acquireLearnerSandbox,
  getLearnerSandbox,
  releaseLearnerSandbox,
  SandboxSchema,
} from "../../../sandbox/learner-sandbox.js";
import { ProblemSchema } from "../../../schemas/problem.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const sandboxRoutes: FastifyPluginAsyncZod = async (app) => {
  const ownerOf = (request: { params: { learnerId: string } }, clientId: string) => ({
    clientId,
    learnerId: request.params.learnerId,
  });

  app.put(
    "/v1/learners/:learnerId/sandbox",
    {
      config: { scope: "submissions:write", learnerSession: "own-learner" },
      schema: {
        tags: ["sandboxes"],
        summary: "Give this learner a Docker sandbox, or keep theirs alive",
        description:
          "A Docker engine of the learner's own on this server, isolated from the host and from other learners, " +
          "with the lessons' images loaded. From then on the learner's exercises are graded on it. 201 when it " +
          "was made now (from the warm pool when one is ready), 200 when they had one: its idle time starts " +
          "again. It is reaped after SANDBOX_IDLE_MINUTES unused and after SANDBOX_MAX_AGE_MINUTES in any case. " +
          "503 with Retry-After when every sandbox of the server is in use.",
        params: LearnerParamsSchema,
        response: {
          200: SandboxSchema,
          201: SandboxSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          503: ProblemSchema,
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const owner = ownerOf(request, clientOf(request).id);
      const { sandbox, created } = await acquireLearnerSandbox(app.storage, app.sandboxes, owner);
      return reply.code(created ? 201 : 200).send(sandbox);
    },
  );

  app.get(
    "/v1/learners/:learnerId/sandbox",
    {
      config: { scope: "progress:read", learnerSession: "own-learner" },
      schema: {
        tags: ["sandboxes"],
        summary: "This learner's sandbox, if they have one",
        params: LearnerParamsSchema,
        response: { 200: SandboxSchema, 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => getLearnerSandbox(app.storage, app.sandboxes, ownerOf(request, clientOf(request).id)),
  );

  app.delete(
    "/v1/learners/:learnerId/sandbox",
    {
      config: { scope: "submissions:write", learnerSession: "own-learner" },
      schema: {
        tags: ["sandboxes"],
        summary: "Destroy this learner's sandbox and everything in it",
        params: LearnerParamsSchema,
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await releaseLearnerSandbox(app.storage, app.sandboxes, ownerOf(request, clientOf(request).id));
      return reply.code(204).send(null);
    },
  );
};
