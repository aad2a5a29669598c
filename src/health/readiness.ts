import { z } from "zod";

const DependencySchema = z.object({
  status: z.enum(["up", "down"]),
  reason: z.string().optional().describe("Why the dependency is down"),
});
type Dependency = z.infer<typeof DependencySchema>;

export const ReadinessSchema = z
  .object({
    status: z.enum(["ready", "degraded", "unavailable"]),
    dependencies: z.object({ database: DependencySchema, docker: DependencySchema }),
  })
  .meta({ id: "Readiness" });
export type Readiness = z.infer<typeof ReadinessSchema>;

/** How long one check's answer is given to every caller: a flood of /ready costs one check a second. */
const READINESS_TTL_MS = 1000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * The dependency check behind /ready: a database query and an engine ping, at most once per `ttlMs`.
 * Callers while a check runs share it, and callers within `ttlMs` of its end get its answer, so
 * anonymous callers cannot turn /ready into load on the database and the engine that grading needs.
 */
export function createReadinessCheck(
  probes: { database: () => Promise<unknown>; docker: () => Promise<unknown> },
  ttlMs = READINESS_TTL_MS,
): () => Promise<Readiness> {
  let inFlight: Promise<Readiness> | undefined;
  let last: { at: number; readiness: Readiness } | undefined;

  async function check(): Promise<Readiness> {
    const [database, docker] = await Promise.all([probe(probes.database), probe(probes.docker)]);
    const status = database.status === "down" ? "unavailable" : docker.status === "down" ? "degraded" : "ready";
    return { status, dependencies: { database, docker } };
  }

  return () => {
    if (inFlight) return inFlight;
    if (last && performance.now() - last.at < ttlMs) return Promise.resolve(last.readiness);
    inFlight = check().then((readiness) => {
      last = { at: performance.now(), readiness };
      inFlight = undefined;
      return readiness;
    });
    return inFlight;
  };
}

/** Never throws (each probe catches its own failure), so a shared check cannot reject for everyone. */
async function probe(check: () => Promise<unknown>): Promise<Dependency> {
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
