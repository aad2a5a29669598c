import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../../http/auth-responses.js";
import { clientOf } from "../../../plugins/auth.js";
import { ProblemSchema } from "../../../schemas/problem.js";
import {
  LearnerSessionSchema,
  mintLearnerSession,
  NewLearnerSessionSchema,
  revokeLearnerSession,
  sessionExchangePath,
} from "../../../sessions/learner-sessions.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const learnerSessionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/v1/learners/:learnerId/sessions",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["sessions"],
        summary: "Sign one learner into the course page: a short-lived session for a browser",
        description:
          "A browser must never hold an API key. A session grades and reads this learner's submissions and " +
          "progress, with this client's grants (engine:shared, the learner's lab), and nothing else. Give the " +
          "learner `url`: opening it sets an HttpOnly cookie and lands on the course page. Or send `token` as " +
          "`Authorization: Bearer`. Only a hash of the token is stored. Creates the learner if it is new. A session " +
          "holds the scopes of content:read, submissions:write, progress:read and engine:shared that this client " +
          "holds now, and loses any the client loses later. A client mints at most RATE_LIMIT_PER_MINUTE sessions a " +
          "minute, through this route and LTI launches together (429 beyond).",
        params: LearnerParamsSchema,
        body: NewLearnerSessionSchema.prefault({}),
        response: { 201: LearnerSessionSchema, 400: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const clientId = clientOf(request).id;
      await app.sessionMints.take(request, clientId);
      const session = await mintLearnerSession(app.storage, {
        clientId,
        learnerId: request.params.learnerId,
        ttlSeconds: request.body.ttlSeconds,
      });
      return reply.code(201).send({
        id: session.id,
        learnerId: session.learnerId,
        token: session.token,
        url: `${request.protocol}://${request.host}${sessionExchangePath(session.token)}`,
        expiresAt: session.expiresAt.toISOString(),
      });
    },
  );

  app.delete(
    "/v1/learners/:learnerId/sessions/:sessionId",
    {
      config: { scope: "submissions:write" },
      schema: {
        tags: ["sessions"],
        summary: "Revoke a learner session: its token and cookie stop working at once",
        params: LearnerParamsSchema.extend({ sessionId: z.uuid() }),
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await revokeLearnerSession(app.storage, { clientId: clientOf(request).id, ...request.params });
      return reply.code(204).send(null);
    },
  );
};
