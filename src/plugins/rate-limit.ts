import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { RateLimited, TooManyFailedAuthentications } from "../errors/domain-errors.js";

declare module "fastify" {
  interface FastifyInstance {
    authFailures: AuthFailureLimit;
  }
}

/**
 * Failed authentications per IP (IPv6 per /64), in a bucket of their own. The per-client limit only
 * runs after authentication, so without this a stream of guessed keys was answered 401 for ever.
 */
export interface AuthFailureLimit {
  /** Before a key is looked up: an IP over its budget gets 429, so a guess costs no query and reveals nothing. */
  refuseIfExhausted(request: FastifyRequest): Promise<void>;
  /** Counts one failure; the failure that exhausts the budget is answered 429 already. */
  count(request: FastifyRequest): Promise<void>;
}

/**
 * Requests per minute per API client (per IP for anonymous calls), and failed authentications per
 * minute per IP. The counters live in each replica's memory: with N replicas behind a balancer a
 * client gets up to N times each limit. That is documented rather than shared, to keep PostgreSQL
 * off the hot path of every request.
 */
export const rateLimitPlugin = fp(
  async (app: FastifyInstance, options: { perMinute: number; authFailuresPerMinute: number }) => {
    await app.register(rateLimit, {
      global: true,
      max: options.perMinute,
      timeWindow: 60_000,
      // Runs after the auth hook (route-level onRequest hooks follow the app-level ones).
      // A learner session has a budget of its own: one LMS's learners must not exhaust each other's.
      keyGenerator: (request) =>
        request.learnerSession
          ? `session:${request.learnerSession.id}`
          : request.client
            ? `client:${request.client.id}`
            : `ip:${request.ip}`,
      errorResponseBuilder: (_request, context) =>
        new RateLimited(Math.max(1, Math.ceil(context.ttl / 1000)), context.max),
    });

    const failures = app.createRateLimit({
      max: options.authFailuresPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => normalizeIP(request.ip),
    });
    const refuseWhenExceeded = (limit: Awaited<ReturnType<typeof failures>>) => {
      if (!limit.isAllowed && limit.isExceeded) {
        throw new TooManyFailedAuthentications(Math.max(1, limit.ttlInSeconds), limit.max);
      }
    };
    app.decorate("authFailures", {
      refuseIfExhausted: async (request) => refuseWhenExceeded(await failures(request, { increment: false })),
      count: async (request) => refuseWhenExceeded(await failures(request)),
    } satisfies AuthFailureLimit);
  },
  { name: "rate-limit" },
);
