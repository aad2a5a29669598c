import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";

const DependencySchema = z.object({
  status: z.enum(["up", "down"]),
  reason: z.string().optional().describe("Why the dependency is down"),
});

const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "degraded", "unavailable"]),
    dependencies: z.object({ database: DependencySchema, docker: DependencySchema }),
  })
  .meta({ id: "Readiness" });

const PROBE_TIMEOUT_MS = 2000;

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

  app.get(
    "/ready",
    {
      config: { rateLimit: false },
      schema: {
        tags: ["health"],
        summary: "Readiness: 200 when the database is up; Docker down only degrades it",
        response: { 200: ReadinessSchema, 503: ReadinessSchema },
      },
    },
    async (_request, reply) => {
      const [database, docker] = await Promise.all([
        probe(() => app.prisma.$queryRaw`SELECT 1`),
        probe(() => app.docker.ping()),
      ]);
      const status = database.status === "down" ? "unavailable" : docker.status === "down" ? "degraded" : "ready";
      reply.header("cache-control", "no-store");
      return reply.code(status === "unavailable" ? 503 : 200).send({ status, dependencies: { database, docker } });
    },
  );
};

async function probe(check: () => Promise<unknown>): Promise<z.infer<typeof DependencySchema>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
      }),
    ]);
    return { status: "up" };
  } catch (error) {
    return { status: "down", reason: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.split("\n")[0]?.slice(0, 300) ?? "unknown";
}
