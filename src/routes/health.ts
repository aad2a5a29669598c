import { normalizeIP } from "@fastify/rate-limit";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { pingDatabase } from "../db/storage.js";
import { RateLimited } from "../errors/domain-errors.js";
import { createReadinessCheck, ReadinessSchema } from "../health/readiness.js";
import { ProblemSchema } from "../schemas/problem.js";

/** /ready per address (IPv6 per /64): generous for any balancer or orchestrator, bounded for a flood. */
const READY_PER_SECOND = 10;

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/health",
    {
      config: { rateLimit: false },
      schema: {
        tags: ["health"],
        summary: "Liveness: 200 while the process runs",
        response: { 200: z.object({ status: z.literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  const readiness = createReadinessCheck({
    database: () => pingDatabase(app.storage),
    docker: () => app.docker.ping(),
  });
  app.get(
    "/ready",
    {
      config: {
        rateLimit: {
          max: READY_PER_SECOND,
          timeWindow: 1000,
          keyGenerator: (request) => `ready:${normalizeIP(request.ip)}`,
          errorResponseBuilder: (_request, context) =>
            new RateLimited(
              Math.max(1, Math.ceil(context.ttl / 1000)),
              context.max,
              "readiness checks in a second from this address",
            ),
        },
      },
      schema: {
        tags: ["health"],
        summary: "Readiness: 200 when the database is up; Docker down only degrades it",
        description:
          "The check behind it runs at most once a second, shared by every caller meanwhile. " +
          `Each address may ask ${READY_PER_SECOND} times a second.`,
        response: {
          200: ReadinessSchema,
          429: ProblemSchema.describe(`More than ${READY_PER_SECOND} calls in a second from this address`),
          503: ReadinessSchema,
        },
      },
    },
    async (_request, reply) => {
      const answer = await readiness();
      reply.header("cache-control", "no-store");
      return reply.code(answer.status === "unavailable" ? 503 : 200).send(answer);
    },
  );
};
