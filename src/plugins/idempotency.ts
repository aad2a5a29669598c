import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { pruneIdempotencyKeys } from "../submissions/idempotency.js";

const PRUNE_EVERY_MS = 3600_000;

/** Prunes expired Idempotency-Keys hourly (and once at start-up); a failed run is only logged. */
export const idempotencyPlugin = fp(
  async (app: FastifyInstance) => {
    let timer: NodeJS.Timeout | undefined;
    const prune = () =>
      pruneIdempotencyKeys(app.storage)
        .then((count) => count > 0 && app.log.info({ count }, "expired idempotency keys pruned"))
        .catch((error) => app.log.warn({ err: error }, "could not prune idempotency keys"));
    app.addHook("onReady", async () => {
      void prune();
      timer = setInterval(prune, PRUNE_EVERY_MS).unref();
    });
    app.addHook("onClose", async () => clearInterval(timer));
  },
  { name: "idempotency", dependencies: ["storage"] },
);
