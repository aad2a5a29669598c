import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { checkSecretsKey } from "../crypto/secrets-key-canary.js";
import { isDatabaseUnavailable } from "../db/database-errors.js";

/**
 * Checks SECRETS_KEY against the database's canary when the app is ready, before any other start-up
 * step seals or opens a secret (registered ahead of the webhooks plugin, whose hook seals them).
 */
export const secretsKeyPlugin = fp(
  async (app: FastifyInstance, options: { secretsKey: Buffer | undefined }) => {
    app.addHook("onReady", async () => {
      try {
        await checkSecretsKey(app.storage, options.secretsKey);
      } catch (error) {
        // The service starts without its database (/ready says so); the next start checks the key.
        if (!isDatabaseUnavailable(error)) throw error;
        app.log.warn("database unavailable at start-up: SECRETS_KEY was not checked against this database");
      }
    });
  },
  { name: "secrets-key", dependencies: ["storage"] },
);
