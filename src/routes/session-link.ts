import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { SessionRefused } from "../errors/domain-errors.js";
import { acceptFormBodies } from "../http/form-body.js";
import { negotiateLanguage } from "../http/negotiate-language.js";
import { requestOrigin, SESSION_COOKIE, sessionCookieOptions } from "../http/session-cookie.js";
import { sessionCookie } from "../plugins/auth.js";
import { ProblemSchema } from "../schemas/problem.js";
import { type OpenedLink, openSessionLink } from "../sessions/learner-sessions.js";
import { pagePolicy } from "../web/page-policy.js";
import { sessionSwitchPage } from "../web/session-switch-page.js";

const TokenSchema = z.string().max(200);

/**
 * The link a learner opens (a session's `url`): the token becomes the HttpOnly cookie, and the browser
 * is sent on to the course page, so the token leaves the address bar and the history at once. A link
 * that no longer works still lands on the page, which says why in words (?session=expired|invalid).
 * A browser signed in as another learner is asked first, on a page whose button posts the token back:
 * any site can make a browser open a link, only this service's page can make it post here.
 */
export const sessionLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  acceptFormBodies(app);
  const policy = pagePolicy(app.config.frameAncestors);

  const land = async (request: FastifyRequest, reply: FastifyReply, opened: OpenedLink, token: string) => {
    if ("refused" in opened) {
      if (opened.refused === "invalid") await app.authFailures.count(request);
      reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(request, new Date(0)));
      return reply.redirect(`/?session=${opened.refused}`, 303);
    }
    reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(request, opened.session.expiresAt));
    return reply.redirect("/", 303);
  };

  app.get(
    "/session",
    {
      schema: {
        tags: ["sessions"],
        summary: "Open a learner session's link: sets the session cookie, then redirects to the course page",
        description:
          "A browser that holds a live session of another learner gets a page instead (200, text/html) that " +
          "asks before switching: its button posts the token to POST /session. Never cached.",
        querystring: z.object({ token: TokenSchema }),
        response: {
          200: z.string().describe("text/html: the page that asks before switching to another learner"),
          303: z.null(),
        },
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      await app.authFailures.refuseIfExhausted(request);
      const { token } = request.query;
      const opened = await openSessionLink(app.storage, token, sessionCookie(app, request));
      if (!("askFirst" in opened)) return land(request, reply, opened, token);
      const { held, session } = opened.askFirst;
      const language = negotiateLanguage(request, reply);
      // Framed where the course page may be (an LMS's iframe); X-Frame-Options: DENY would overrule that.
      reply.removeHeader("x-frame-options");
      return reply
        .header("content-security-policy", policy)
        .type("text/html; charset=utf-8")
        .send(sessionSwitchPage(language, { heldLearner: held.learnerId, linkLearner: session.learnerId, token }));
    },
  );

  app.post(
    "/session",
    {
      schema: {
        tags: ["sessions"],
        summary: "Switch this browser to a learner session: the button of the page GET /session asks with",
        description:
          "A form post from this service's own page only: any other Origin, or none, is 403 session-refused.",
        body: z.object({ token: TokenSchema }),
        response: { 303: z.null(), 400: ProblemSchema, 403: ProblemSchema, 429: ProblemSchema },
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      // Browsers send Origin with every POST; SameSite=None (an LMS's iframe) lets the cookie ride along
      // on another site's form, so the Origin is what tells this page's button from that form.
      const origin = request.headers.origin;
      if (origin !== requestOrigin(request)) {
        throw new SessionRefused(
          `A learner session is only switched from this service's own page, not from ${origin ?? "a request without Origin"}.`,
        );
      }
      await app.authFailures.refuseIfExhausted(request);
      const { token } = request.body;
      return land(request, reply, await openSessionLink(app.storage, token), token);
    },
  );
};
