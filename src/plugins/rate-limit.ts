import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { RateLimited } from "../errors/domain-errors.js";

/**
 * Requests per minute per API client (per IP for anonymous calls). The counters live in each
 * replica's memory: with N replicas behind a balancer a client gets up to N times the limit.
 * That is documented rather than shared, to keep PostgreSQL off the hot path of every request.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: { perMinute: number }) => {
    await app.register(rateLimit, {
      global: true,
      max: options.perMinute,
      timeWindow: 60_000,
      // Runs after the auth hook (route-level onRequest hooks follow the app-level ones).
      keyGenerator: (request) => (request.client ? `client:${request.client.id}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new RateLimited(Math.max(1, Math.ceil(context.ttl / 1000)), context.max),
    });
  },
  { name: "rate-limit", dependencies: ["auth"] },
);
