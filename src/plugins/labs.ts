import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { DockerEngine } from "../docker/engine.js";
import { createLabEngines } from "../labs/learner-labs.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The engine that grades this learner: their lab's, or the shared one (`app.docker`) when granted. */
    engineForLearner(
      caller: { clientId: string; mayUseSharedEngine: boolean },
      learnerId: string,
    ): Promise<DockerEngine>;
  }
}

export const labsPlugin = fp(
  async (app: FastifyInstance) => {
    const labs = createLabEngines({
      db: app.prisma,
      settings: { allowlist: app.config.labEngineAllowlist, secretsKey: app.config.secretsKey },
      defaultEngine: app.docker,
      engineOptions: { timeoutMs: app.config.docker.timeoutMs, concurrency: app.config.docker.concurrency },
    });
    app.decorate("engineForLearner", labs.forLearner);
    app.addHook("onClose", async () => labs.close());
  },
  { name: "labs", dependencies: ["prisma", "docker"] },
);
