import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { SearchResultsSchema } from "../../content/catalog-schemas.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/negotiate-language.js";
import { jsonRepresentation, sendRepresentation } from "../../http/representation.js";
import { ProblemSchema } from "../../schemas/problem.js";

export const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/search",
    {
      schema: {
        tags: ["lessons", "commands"],
        summary: "Search lessons and commands in both languages, best match first",
        querystring: LangQuerySchema.extend({
          q: z.string().trim().min(1).max(200).describe("Words to find, in Spanish or English"),
          limit: z.coerce.number().int().min(1).max(50).default(10),
        }),
        response: { 200: SearchResultsSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const language = negotiateLanguage(request, reply, request.query.lang);
      const results = app.catalog.search(request.query.q, language, request.query.limit);
      return sendRepresentation(request, reply, jsonRepresentation(results));
    },
  );
};
