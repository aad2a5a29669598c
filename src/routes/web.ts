import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PAGE_ROUTES } from "../../web/page-routes.js";
import { NotFound } from "../errors/domain-errors.js";
import { sendRepresentation } from "../http/representation.js";
import { lessonPages } from "../web/lesson-pages.js";
import { pagePolicy, terminalPolicy } from "../web/page-policy.js";
import { loadWebAssets, type WebAsset } from "../web/web-assets.js";

/** The page's addresses (web/page-routes.js): each answers index.html, a lesson's with its title in. */
const PAGE_PATHS = PAGE_ROUTES.filter((route) => route.view !== "lesson").map((route) => route.path);
const lessonRoute = PAGE_ROUTES.find((route) => route.view === "lesson");
if (!lessonRoute) throw new Error("web/page-routes.js declares no lesson page");

export const webRoutes: FastifyPluginAsyncZod = async (app) => {
  const assets = await loadWebAssets();
  const policy = pagePolicy(app.config.frameAncestors);
  const send = (
    request: Parameters<typeof sendRepresentation>[0],
    reply: Parameters<typeof sendRepresentation>[1],
    asset: WebAsset,
    vary = "accept-encoding",
  ) => {
    reply.header("vary", vary);
    // No hashed file names: browsers revalidate every time and mostly get a 304.
    if (!/\bgzip\b/.test(request.headers["accept-encoding"] ?? ""))
      return sendRepresentation(request, reply, asset.identity, 0);
    reply.header("content-encoding", "gzip");
    return sendRepresentation(request, reply, asset.gzip, 0);
  };

  const index = assets.get("index.html");
  if (!index) throw new Error("web/index.html is missing");
  const framedBy = (reply: { header(name: string, value: string): unknown; removeHeader(name: string): unknown }) => {
    reply.header("content-security-policy", policy);
    // frame-ancestors decides who may frame the page; X-Frame-Options: DENY would overrule it in old browsers.
    reply.removeHeader("x-frame-options");
  };
  for (const url of PAGE_PATHS) {
    app.get(url, { schema: { hide: true } }, async (request, reply) => {
      framedBy(reply);
      return send(request, reply, index);
    });
  }
  const lessons = lessonPages(index.identity.body, app.curriculum.lessons);
  app.get(
    lessonRoute.path,
    { schema: { hide: true, params: z.object({ slug: z.string().max(100) }) } },
    async (request, reply) => {
      framedBy(reply);
      const pages = lessons.get(request.params.slug);
      if (!pages) return send(request, reply, index); // the page's router says the lesson does not exist
      // The page keeps its language in localStorage and mirrors it in this cookie, so the title sent
      // is in the language the script will show.
      const cookie = request.headers.cookie;
      const language = cookie !== undefined && app.parseCookie(cookie).lang === "en" ? "en" : "es";
      return send(request, reply, pages[language], "accept-encoding, cookie");
    },
  );

  const terminal = assets.get("terminal.html");
  if (!terminal) throw new Error("web/terminal.html is missing");
  const terminalPage = terminalPolicy(app.config.frameAncestors);
  app.get("/terminal", { schema: { hide: true } }, async (request, reply) => {
    reply.header("content-security-policy", terminalPage);
    reply.removeHeader("x-frame-options");
    return send(request, reply, terminal);
  });

  // A file of web/ by its path there ("main.js", "views/lesson.js"); the pages have addresses of their own.
  // Outside the request budget: each page load asks for a score of these, answered from memory, and
  // counting them spent a learner's budget for the API on the page's own modules.
  app.get(
    "/app/*",
    {
      config: { rateLimit: false },
      schema: { hide: true, params: z.object({ "*": z.string().max(100) }) },
    },
    async (request, reply) => {
      const file = request.params["*"];
      const page = file === "index.html" || file === "terminal.html";
      const asset = page ? undefined : assets.get(file);
      if (!asset) throw new NotFound(`There is no file /app/${file}.`);
      return send(request, reply, asset);
    },
  );
};
