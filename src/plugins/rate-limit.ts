import rateLimit, { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Redis } from "ioredis";
import { RateLimited, TooManyFailedAuthentications } from "../errors/domain-errors.js";

declare module "fastify" {
  interface FastifyInstance {
    authFailures: AuthFailureLimit;
    sessionMints: SessionMintLimit;
  }
}

/**
 * Failed authentications per IP (IPv6 per /64), in a bucket of their own. The per-client limit only
 * runs after authentication, so without this a stream of guessed keys was answered 401 for ever.
 */
interface AuthFailureLimit {
  /** Before a key is looked up: an IP over its budget gets 429, so a guess costs no query and reveals nothing. */
  refuseIfExhausted(request: FastifyRequest): Promise<void>;
  /** Counts one failure; the failure that exhausts the budget is answered 429 already. */
  count(request: FastifyRequest): Promise<void>;
}

/**
 * Learner sessions minted per client per minute, through the API and LTI launches alike, in a bucket
 * of their own beside the requests. Each session has its own request budget (one learner must not
 * exhaust another's), so without this a client could open as many budgets as it liked.
 */
interface SessionMintLimit {
  /** Counts one session about to be minted for this client; over the limit, 429 and nothing is minted. */
  take(request: FastifyRequest, clientId: string): Promise<void>;
}

/**
 * Requests per minute per API client (per IP for anonymous calls), and failed authentications per
 * minute per IP. Without `redisUrl` the counters live in each replica's memory: with N replicas behind
 * a balancer a client gets up to N times each limit. With it, every replica counts in one Redis.
 *
 * Redis down fails open: the limits are not counted until it answers again, and a warning says so.
 * A rate limit that turned a Redis outage into an API outage would stop every grading to guard
 * against a few greedy clients, and guessing a 256-bit key stays hopeless without the budget.
 */
export const rateLimitPlugin = fp(
  async (
    app: FastifyInstance,
    options: { perMinute: number; authFailuresPerMinute: number; redisUrl: string | undefined },
  ) => {
    const redis = options.redisUrl ? await connectRedis(options.redisUrl, app) : undefined;
    await app.register(rateLimit, {
      global: true,
      max: options.perMinute,
      timeWindow: 60_000,
      ...(redis ? { redis, nameSpace: "aprendiendo:rate-limit:", skipOnError: true } : {}),
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
      // Its own prefix: in Redis both limits share one key space.
      keyGenerator: (request) => `auth-failures:${normalizeIP(request.ip)}`,
    });
    const refuseWhenExceeded = (limit: Awaited<ReturnType<typeof failures>>) => {
      if (!limit.isAllowed && limit.isExceeded) {
        throw new TooManyFailedAuthentications(Math.max(1, limit.ttlInSeconds), limit.max);
      }
    };
    // The client a session is minted for is known only in the handler (an LTI launch is anonymous).
    const mintingFor = new WeakMap<FastifyRequest, string>();
    const mints = app.createRateLimit({
      max: options.perMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => `session-mints:${mintingFor.get(request)}`,
    });
    app.decorate("sessionMints", {
      take: async (request, clientId) => {
        mintingFor.set(request, clientId);
        const limit = await mints(request);
        if (!limit.isAllowed && limit.isExceeded) {
          throw new RateLimited(
            Math.max(1, limit.ttlInSeconds),
            limit.max,
            "learner sessions minted in a minute for this client",
          );
        }
      },
    } satisfies SessionMintLimit);
    app.decorate("authFailures", {
      refuseIfExhausted: async (request) => refuseWhenExceeded(await failures(request, { increment: false })),
      count: async (request) => refuseWhenExceeded(await failures(request)),
    } satisfies AuthFailureLimit);
  },
  { name: "rate-limit" },
);

/** The longest a request waits on Redis: one command's timeout, once (see BoundedWaitRedis). */
const REDIS_COMMAND_TIMEOUT_MS = 500;

/**
 * A request with an API key asks Redis twice (the failed-key budget, then the client's count), and
 * ioredis times each command out on its own: a Redis that accepts but does not answer cost such a
 * request two timeouts. Here a command that times out while connected says so ("stalled"), and the
 * connection is dropped: until Redis passes its ready check again every command fails at once
 * (enableOfflineQueue is off), so a request waits on a stalled Redis at most once.
 */
class BoundedWaitRedis extends Redis {
  override sendCommand(...args: Parameters<Redis["sendCommand"]>): unknown {
    const [command] = args;
    const sent = super.sendCommand(...args);
    command.promise.catch((error: unknown) => {
      if (error instanceof Error && error.message === "Command timed out") this.emit("stalled");
    });
    return sent;
  }
}

/** Every replica's connection to the shared counters; closed with the app. */
async function connectRedis(url: string, app: FastifyInstance): Promise<Redis> {
  const log = app.log.child({ component: "rate-limit" });
  const redis = new BoundedWaitRedis(url, {
    lazyConnect: true,
    // Without a connection a command fails at once (the request goes on uncounted) instead of
    // waiting in a queue; a Redis that accepts but does not answer fails after the command timeout.
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2000,
  });
  let shared = false;
  redis.on("ready", () => {
    shared = true;
    log.info("rate limits are counted in Redis, shared by every replica");
  });
  redis.on("stalled", () => {
    // Only the first timeout of an outage: the others are commands sent before the connection dropped.
    if (!shared) return;
    shared = false;
    log.warn(
      `Redis did not answer within ${REDIS_COMMAND_TIMEOUT_MS} ms: rate limits are not enforced until it answers again`,
    );
    redis.disconnect(true);
  });
  // ioredis reports every failed reconnect; one warning per outage is what an operator needs.
  redis.on("error", (error) => {
    if (!shared) return;
    shared = false;
    log.warn({ err: error }, "Redis is unreachable: rate limits are not enforced until it answers again");
  });
  await redis.connect().catch((error: Error) => {
    log.warn({ err: error }, "Redis is unreachable at start-up: rate limits are not enforced until it answers");
  });
  app.addHook("onClose", async () => {
    redis.disconnect();
  });
  return redis;
}
