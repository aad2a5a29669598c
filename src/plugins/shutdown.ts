import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { ShuttingDown } from "../errors/domain-errors.js";

/**
 * Once the server starts closing, new requests (on keep-alive connections that are still open)
 * get a 503 problem+json and the connection is closed, while requests already in flight finish.
 * Fastify's own return503OnClosing would answer the same in plain JSON, so it is turned off.
 */
export const shutdownPlugin = fp(
  async (app: FastifyInstance) => {
    let closing = false;
    app.addHook("preClose", async () => {
      closing = true;
    });
    // Callback-style, like every per-request hook here: an async hook costs every request a promise.
    app.addHook("onRequest", (_request, reply, done) => {
      if (!closing) return done();
      reply.header("connection", "close");
      done(new ShuttingDown("The service is shutting down. Retry in a moment."));
    });
  },
  { name: "shutdown" },
);
