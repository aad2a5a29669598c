import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { pushDueScores } from "../lti/score-delivery.js";
import { type DeliverySettings, startDeliveryWorker } from "../webhooks/delivery-worker.js";
import { pushDueStatements } from "../webhooks/lrs-delivery.js";
import { sealPlaintextWebhookSecrets } from "../webhooks/webhook-secrets.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Runs a delivery round now, e.g. right after a transaction that enqueued events. */
    pokeWebhooks(): void;
  }
}

/**
 * Seals plaintext webhook secrets when SECRETS_KEY is set (every replica, worker or not), then starts
 * the outbox delivery worker once the app is ready and stops it, mid-round safely, on close.
 */
export const webhooksPlugin = fp(
  async (app: FastifyInstance, options: DeliverySettings & { workerEnabled: boolean }) => {
    let worker: ReturnType<typeof startDeliveryWorker> | undefined;
    app.decorate("pokeWebhooks", () => worker?.poke());
    app.addHook("onReady", async () => {
      try {
        await sealPlaintextWebhookSecrets(app.prisma, options.secretsKey, app.log.child({ component: "webhooks" }));
      } catch (error) {
        // The service starts without its database (/ready says so); the next start checks the secrets again.
        if (!isDatabaseUnavailable(error)) throw error;
        app.log.warn("database unavailable at start-up: webhook secrets were not checked or sealed");
      }
    });
    if (!options.workerEnabled) return; // e.g. replicas that only serve requests
    app.addHook("onReady", async () => {
      // onReady: the course is loaded by now, and the LTI scores read its exercises.
      worker = startDeliveryWorker(app.prisma, options, app.log.child({ component: "webhooks" }), [
        pushDueStatements,
        pushDueScores(app.curriculum.exercises),
      ]);
    });
    app.addHook("onClose", async () => {
      await worker?.stop();
    });
  },
  { name: "webhooks", dependencies: ["prisma"] },
);
