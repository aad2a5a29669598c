import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { pushDueScores } from "../lti/score-delivery.js";
import { type DeliverySettings, startDeliveryWorker } from "../webhooks/delivery-worker.js";
import { pushDueStatements } from "../webhooks/lrs-delivery.js";
import { pruneDeliveredWebhooks } from "../webhooks/prune-deliveries.js";
import { sealPlaintextWebhookSecrets } from "../webhooks/webhook-secrets.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Runs a delivery round now, e.g. right after a transaction that enqueued events. */
    pokeWebhooks(): void;
  }
}

const PRUNE_EVERY_MS = 3600_000;

/**
 * Prunes delivered webhook rows hourly (and once at start-up), seals plaintext webhook secrets when SECRETS_KEY is set (every replica, worker or not), then starts
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
    let pruneTimer: NodeJS.Timeout | undefined;
    const prune = () =>
      pruneDeliveredWebhooks(app.prisma)
        .then((count) => count > 0 && app.log.info({ count }, "delivered webhook rows pruned"))
        .catch((error) => app.log.warn({ err: error }, "could not prune delivered webhook rows"));
    app.addHook("onReady", async () => {
      void prune();
      pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref();
    });
    app.addHook("onClose", async () => clearInterval(pruneTimer));
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
