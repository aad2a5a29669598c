import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { authErrorResponses } from "../../http/auth-responses.js";
import { SESSION_COOKIE, sessionCookieOptions } from "../../http/session-cookie.js";
import { clientOf, sessionOf } from "../../plugins/auth.js";
import { ProblemSchema } from "../../schemas/problem.js";
import { revokeLearnerSession, SessionInfoSchema } from "../../sessions/learner-sessions.js";

/** The calling learner session itself: who it is for, and signing out. */
export const currentSessionRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/session",
    {
      config: { learnerSession: "own-learner" },
      schema: {
        tags: ["sessions"],
        summary: "The calling learner session: its learner and when it expires",
        description: "For pages signed in with the session cookie. An expired session is 401 `session-expired`.",
        response: { 200: SessionInfoSchema, ...authErrorResponses },
      },
    },
    async (request) => {
      const session = sessionOf(request);
      return {
        sessionId: session.id,
        learnerId: session.learnerId,
        expiresAt: session.expiresAt.toISOString(),
        sandboxes: app.sandboxes !== undefined,
      };
    },
  );

  app.delete(
    "/v1/session",
    {
      config: { learnerSession: "own-learner" },
      schema: {
        tags: ["sessions"],
        summary: "Sign out: revoke the calling learner session and clear its cookie",
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const session = sessionOf(request);
      await revokeLearnerSession(app.storage, {
        clientId: clientOf(request).id,
        learnerId: session.learnerId,
        sessionId: session.id,
      });
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request, new Date(0)));
      return reply.code(204).send(null);
    },
  );
};
