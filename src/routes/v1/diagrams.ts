import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { NotFound } from "../../errors/domain-errors.js";
import { sendRepresentation } from "../../http/representation.js";
import { ProblemSchema } from "../../schemas/problem.js";

export const diagramRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/diagrams/:name",
    {
      schema: {
        tags: ["lessons"],
        summary: "A diagram that lessons reference in their image blocks (image/svg+xml)",
        params: z.object({
          name: z.string().regex(/^[a-z0-9-]+\.svg$/, "expected a diagram file name such as vm-vs-containers.svg"),
        }),
        response: {
          200: z.string().describe("The SVG document").meta({ mediaType: "image/svg+xml" }),
          400: ProblemSchema,
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const diagram = app.catalog.diagrams.get(request.params.name);
      if (!diagram) throw new NotFound(`There is no diagram "${request.params.name}".`);
      // Served as a document of its own: nothing in it may run or load.
      reply.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
      return sendRepresentation(request, reply, diagram, 86_400);
    },
  );
};
