import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Config } from "../config/config.js";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { lrsChannel } from "../delivery/lrs-channel.js";
import { ltiScoreChannel } from "../delivery/lti-score-channel.js";
import { type OutboundPolicy, type ResolveHost, systemResolver } from "../delivery/outbound.js";
import { webhookChannel } from "../delivery/webhook-channel.js";
import { sealPlaintextWebhookSecrets } from "../delivery/webhook-secrets.js";
import { pruneDeliveries, startDeliveryWorker } from "../delivery/worker.js";
import { currentSigningKey } from "../lti/tool-keys.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Runs a delivery round now, e.g. right after a transaction that enqueued something. */
    pokeDeliveries(): void;
    /** How every request to a URL the service was given is checked and sent (see delivery/outbound.ts). */
    outbound: OutboundPolicy;
  }
}

const PRUNE_EVERY_MS = 3600_000;

/**
 * The delivery wing's wiring. Every replica seals plaintext webhook secrets when SECRETS_KEY is set,
 * and prunes every outbox hourly (and once at start-up) by the one rule; a worker replica also
 * starts the one delivery worker once the app is ready, and stops it, mid-round safely, on close.
 */
export const deliveryPlugin = fp(
  async (
    app: FastifyInstance,
    options: Config["delivery"] & { secretsKey: Buffer | undefined; resolveHost: ResolveHost | undefined },
  ) => {
    const outbound: OutboundPolicy = {
      allowPrivateUrls: options.allowPrivateUrls,
      resolveHost: options.resolveHost ?? systemResolver,
      timeoutMs: options.timeoutMs,
    };
    app.decorate("outbound", outbound);
    const channels = [
      webhookChannel,
      lrsChannel,
      ltiScoreChannel(() => currentSigningKey(app.storage, options.secretsKey)),
    ];
    const log = app.log.child({ component: "delivery" });
    let worker: ReturnType<typeof startDeliveryWorker> | undefined;
    app.decorate("pokeDeliveries", () => worker?.poke());
    app.addHook("onReady", async () => {
      try {
        await sealPlaintextWebhookSecrets(app.storage, options.secretsKey, log);
      } catch (error) {
        // The service starts without its database (/ready says so); the next start checks the secrets again.
        if (!isDatabaseUnavailable(error)) throw error;
        app.log.warn("database unavailable at start-up: webhook secrets were not checked or sealed");
      }
    });
    let pruneTimer: NodeJS.Timeout | undefined;
    const prune = () =>
      pruneDeliveries(app.storage, channels, options.retentionDays)
        .then((count) => count > 0 && log.info({ count }, "settled deliveries pruned"))
        .catch((error) => log.warn({ err: error }, "could not prune settled deliveries"));
    app.addHook("onReady", async () => {
      void prune();
      pruneTimer = setInterval(prune, PRUNE_EVERY_MS).unref();
    });
    app.addHook("onClose", async () => clearInterval(pruneTimer));
    if (!options.workerEnabled) return; // e.g. replicas that only serve requests
    app.addHook("onReady", async () => {
      worker = startDeliveryWorker(
        channels,
        { storage: app.storage, outbound, secretsKey: options.secretsKey, log },
        options,
      );
    });
    app.addHook("onClose", async () => {
      await worker?.stop();
    });
  },
  { name: "delivery", dependencies: ["storage"] },
);
