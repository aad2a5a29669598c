import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createDockerEngine, type DockerEngine } from "../docker/engine.js";
import { createGradingAdmission, type GradingAdmission } from "../submissions/grading-admission.js";

declare module "fastify" {
  interface FastifyInstance {
    docker: DockerEngine;
    /** Bounds each client's and learner's gradings in flight on `docker`, the engine every client shares. */
    gradingAdmission: GradingAdmission;
  }
}

/**
 * Decorates `app.docker` from `app.config.docker`, and `app.gradingAdmission`, which shares it fairly. The API version is negotiated at start-up
 * when the engine answers; when it does not, start-up goes on (lessons need no engine) and the
 * first grading call negotiates instead.
 */
export const dockerPlugin = fp(
  async (app: FastifyInstance, options: { engine?: DockerEngine } = {}) => {
    const engine =
      options.engine ?? createDockerEngine({ ...app.config.docker, execTimeoutMs: app.config.grading.execTimeoutMs });
    app.decorate("docker", engine);
    app.decorate(
      "gradingAdmission",
      createGradingAdmission({
        sharedEngine: engine,
        perClient: app.config.grading.inFlightPerClient,
        perLearner: app.config.grading.inFlightPerLearner,
        // A waiting grading gives up after two of the longest rounds the ones ahead of it can take.
        maxWaitMs: 2 * app.config.grading.execTimeoutMs,
      }),
    );
    app.addHook("onReady", async () => {
      try {
        const version = await engine.negotiate();
        const log = version.tested ? app.log.info.bind(app.log) : app.log.warn.bind(app.log);
        log({ engine: engine.endpoint, ...version }, "docker engine connected");
      } catch (error) {
        app.log.warn(
          { engine: engine.endpoint, reason: error instanceof Error ? error.message : String(error) },
          "docker engine unavailable at start-up; grading answers 503 until it is reachable",
        );
      }
    });
    app.addHook("onClose", async () => engine.close());
  },
  { name: "docker" },
);
