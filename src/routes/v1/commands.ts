import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { filterCommands } from "../../content/catalog.js";
import { CommandListSchema, CommandSchema } from "../../content/catalog-schemas.js";
import { CommandCategorySchema } from "../../content/content-files.js";
import { NotFound } from "../../errors/domain-errors.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/negotiate-language.js";
import { jsonRepresentation, sendRepresentation } from "../../http/representation.js";
import { ProblemSchema } from "../../schemas/problem.js";

export const commandRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/commands",
    {
      schema: {
        tags: ["commands"],
        summary: "The docker command reference, optionally searched and filtered",
        querystring: LangQuerySchema.extend({
          q: z
            .string()
            .trim()
            .min(1)
            .max(100)
            .optional()
            .describe("Text to find in the command, synopsis or description"),
          category: CommandCategorySchema.optional(),
        }),
        response: { 200: CommandListSchema, 400: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { q, category } = request.query;
      const language = negotiateLanguage(request, reply, request.query.lang);
      const items = filterCommands(app.catalog.commandSummaries[language], { q, category });
      return sendRepresentation(request, reply, jsonRepresentation({ language, items }));
    },
  );

  app.get(
    "/v1/commands/:slug",
    {
      schema: {
        tags: ["commands"],
        summary: "One command: synopsis, options, examples and the lessons that use it",
        params: z.object({ slug: z.string().max(100) }),
        querystring: LangQuerySchema,
        response: { 200: CommandSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request, reply) => {
      const command = app.catalog.commands.get(request.params.slug);
      if (!command) throw new NotFound(`There is no command "${request.params.slug}". GET /v1/commands lists them.`);
      const language = negotiateLanguage(request, reply, request.query.lang);
      return sendRepresentation(request, reply, command[language]);
    },
  );
};
