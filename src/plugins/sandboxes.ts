import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { createDockerEngine, type DockerEngine } from "../docker/engine.js";
import { createSandboxHostClient } from "../sandbox/host-client.js";
import { createHostedSandboxProvider, type SandboxOwner, type SandboxProvider } from "../sandbox/sandbox-provider.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Learners' sandboxes; undefined when SANDBOXES_ENABLED is off. */
    sandboxes: SandboxProvider | undefined;
    /** The engine of the learner's sandbox, if they have one (and marks it in use). */
    sandboxEngineFor(owner: SandboxOwner): DockerEngine | undefined;
  }
}

/**
 * Sandboxes, when enabled: the provider (given, in tests, or the sandbox host's on this machine) and
 * one engine client per sandbox, closed when the sandbox is gone.
 *
 * A sandbox is not registered as the learner's lab (registerServiceLab): a lab is a lasting row in
 * PostgreSQL that every replica reads, and this sandbox is a socket on this machine that lives minutes
 * and is gone after a reap or a restart. As a lab it would outlive its engine (grading a learner 503
 * on a dead socket until someone deletes the row), and binding it would overwrite a lab the client set
 * (PUT /v1/learners/{id}/lab), with nothing to restore it from. The provider's own table, keyed by
 * client and learner like learner_labs, already grades each learner on theirs alone. A provider whose
 * engines every replica can reach (a Pod per learner) is where a service lab would fit.
 */
export const sandboxesPlugin = fp(
  async (app: FastifyInstance, options: { provider?: SandboxProvider } = {}) => {
    const settings = app.config.sandboxes;
    let provider = options.provider;
    if (!provider && settings.enabled) {
      if (!settings.hostSecret)
        throw new Error("SANDBOXES_ENABLED needs SANDBOX_HOST_SECRET, the sandbox host's secret");
      const hosted = createHostedSandboxProvider({
        host: createSandboxHostClient({ socketPath: settings.hostSocket, secret: settings.hostSecret }),
        settings,
        log: (message, error) => app.log.warn({ err: error }, message),
      });
      app.addHook("onReady", async () => hosted.start());
      provider = hosted;
    }
    const engines = new Map<string, DockerEngine>();
    app.decorate("sandboxes", provider);
    app.decorate("sandboxEngineFor", (owner: SandboxOwner) => {
      const sandbox = provider?.touch(owner);
      for (const [id, engine] of engines) {
        if (id !== sandbox?.id && !provider?.list().some((live) => live.id === id)) {
          engine.close();
          engines.delete(id);
        }
      }
      if (!sandbox) return undefined;
      let engine = engines.get(sandbox.id);
      if (!engine) {
        engine = createDockerEngine({
          host: `unix://${sandbox.engineSocket}`,
          timeoutMs: app.config.docker.timeoutMs,
          concurrency: app.config.docker.concurrency,
          execTimeoutMs: app.config.grading.execTimeoutMs,
        });
        engines.set(sandbox.id, engine);
      }
      return engine;
    });
    app.addHook("onClose", async () => {
      for (const engine of engines.values()) engine.close();
      if (!options.provider) await provider?.close();
    });
  },
  { name: "sandboxes", dependencies: ["docker"] },
);
