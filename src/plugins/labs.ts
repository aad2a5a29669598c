import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { DockerEngine } from "../docker/engine.js";
import { createLabEngines, labConflictsAtMigration } from "../labs/learner-labs.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The engine that grades this learner: their lab's, or the shared one (`app.docker`) when granted. */
    engineForLearner(
      caller: { clientId: string; mayUseSharedEngine: boolean },
      learnerId: string,
    ): Promise<DockerEngine>;
    /** Call after setting a learner's lab, so this replica stops grading them on the shared engine at once. */
    labSet(clientId: string, learnerId: string): void;
  }
}

export const labsPlugin = fp(
  async (app: FastifyInstance) => {
    const labs = createLabEngines({
      storage: app.storage,
      settings: { allowlist: app.config.labEngineAllowlist, secretsKey: app.config.secretsKey },
      defaultEngine: app.docker,
      engineOptions: {
        timeoutMs: app.config.docker.timeoutMs,
        concurrency: app.config.docker.concurrency,
        execTimeoutMs: app.config.grading.execTimeoutMs,
      },
      noLabTtlMs: app.config.cacheTtlMs,
    });
    // A learner's sandbox comes first: it is theirs alone, and is kept per client, so no other client's
    // learner of the same id can be graded on it.
    app.decorate(
      "engineForLearner",
      async (caller: { clientId: string; mayUseSharedEngine: boolean }, learnerId: string) =>
        app.sandboxEngineFor({ clientId: caller.clientId, learnerId }) ?? labs.forLearner(caller, learnerId),
    );
    app.decorate("labSet", labs.labSet);
    // Not awaited: start-up never waits on PostgreSQL, and a database down now says so on first use.
    app.addHook("onReady", async () => {
      labConflictsAtMigration(app.storage).then(
        (conflicts) => {
          for (const conflict of conflicts) app.log.warn(conflict, "lab removed by the lab_engines migration");
        },
        () => {},
      );
    });
    app.addHook("onClose", async () => labs.close());
  },
  { name: "labs", dependencies: ["storage", "docker", "sandboxes"] },
);
