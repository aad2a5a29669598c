import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { CourseOutlineSchema, LessonSchema } from "../../content/catalog-schemas.js";
import { NotFound } from "../../errors/domain-errors.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/negotiate-language.js";
import { sendRepresentation } from "../../http/representation.js";
import { ProblemSchema } from "../../schemas/problem.js";

const CACHING = "Responses carry a strong ETag; send If-None-Match to get 304 Not Modified.";

export const lessonRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/lessons",
    {
      schema: {
        tags: ["lessons"],
        summary: "The course outline, in order, grouped by module",
        description: CACHING,
        querystring: LangQuerySchema,
        response: { 200: CourseOutlineSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const language = negotiateLanguage(request, reply, request.query.lang);
      return sendRepresentation(request, reply, app.catalog.outline[language]);
    },
  );

  app.get(
    "/v1/lessons/:slug",
    {
      schema: {
        tags: ["lessons"],
        summary: "One lesson as render-ready blocks, with its Markdown, commands, exercises and neighbours",
        description: CACHING,
        params: z.object({ slug: z.string().max(100) }),
        querystring: LangQuerySchema,
        response: { 200: LessonSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const lesson = app.catalog.lessons.get(request.params.slug);
      if (!lesson) throw new NotFound(`There is no lesson "${request.params.slug}". GET /v1/lessons lists them.`);
      const language = negotiateLanguage(request, reply, request.query.lang);
      return sendRepresentation(request, reply, lesson[language]);
    },
  );
};
