import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { SESSION_COOKIE, sessionCookieOptions } from "../http/session-cookie.js";
import { openSessionLink } from "../sessions/learner-sessions.js";

/**
 * The link a learner opens (a session's `url`): the token becomes the HttpOnly cookie, and the browser
 * is sent on to the course page, so the token leaves the address bar and the history at once. A link
 * that no longer works still lands on the page, which says why in words (?session=expired|invalid).
 */
export const sessionLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/session",
    {
      schema: {
        tags: ["sessions"],
        summary: "Open a learner session's link: sets the session cookie, then redirects to the course page",
        querystring: z.object({ token: z.string().max(200) }),
        response: { 303: z.null() },
      },
    },
    async (request, reply) => {
      await app.authFailures.refuseIfExhausted(request);
      const opened = await openSessionLink(app.prisma, request.query.token);
      if ("refused" in opened) {
        if (opened.refused === "invalid") await app.authFailures.count(request);
        reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request, new Date(0)));
        return reply.redirect(`/?session=${opened.refused}`, 303);
      }
      reply.setCookie(SESSION_COOKIE, request.query.token, sessionCookieOptions(request, opened.session.expiresAt));
      return reply.redirect("/", 303);
    },
  );
};
