import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { type DeliverySettings, startDeliveryWorker } from "../webhooks/delivery-worker.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Runs a delivery round now, e.g. right after a transaction that enqueued events. */
    pokeWebhooks(): void;
  }
}

/** Starts the outbox delivery worker once the app is ready and stops it, mid-round safely, on close. */
export const webhooksPlugin = fp(
  async (app: FastifyInstance, options: DeliverySettings & { workerEnabled: boolean }) => {
    let worker: ReturnType<typeof startDeliveryWorker> | undefined;
    app.decorate("pokeWebhooks", () => worker?.poke());
    if (!options.workerEnabled) return; // e.g. replicas that only serve requests
    app.addHook("onReady", async () => {
      worker = startDeliveryWorker(app.prisma, options, app.log.child({ component: "webhooks" }));
    });
    app.addHook("onClose", async () => {
      await worker?.stop();
    });
  },
  { name: "webhooks", dependencies: ["prisma"] },
);
