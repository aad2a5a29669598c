import { randomUUID } from "node:crypto";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import type { Config } from "./config/config.js";
import type { ResolveHost } from "./delivery/outbound.js";
import type { DockerEngine } from "./docker/engine.js";
import { capConnectionsPerAddress } from "./http/connection-cap.js";
import { createLogger } from "./logger.js";
import { authPlugin } from "./plugins/auth.js";
import { contentPlugin } from "./plugins/content.js";
import { corsPlugin } from "./plugins/cors.js";
import { deliveryPlugin } from "./plugins/delivery.js";
import { dockerPlugin } from "./plugins/docker.js";
import { idempotencyPlugin } from "./plugins/idempotency.js";
import { inputHygienePlugin } from "./plugins/input-hygiene.js";
import { labsPlugin } from "./plugins/labs.js";
import { openApiPlugin } from "./plugins/openapi.js";
import { problemHandler, replyWithProblem, writeClientErrorProblem } from "./plugins/problem-handler.js";
import { rateLimitPlugin } from "./plugins/rate-limit.js";
import { sandboxesPlugin } from "./plugins/sandboxes.js";
import { secretsKeyPlugin } from "./plugins/secrets-key.js";
import { securityPlugin } from "./plugins/security.js";
import { shutdownPlugin } from "./plugins/shutdown.js";
import { storagePlugin } from "./plugins/storage.js";
import { routes } from "./routes/index.js";
import type { SandboxProvider } from "./sandbox/sandbox-provider.js";

declare module "fastify" {
  interface FastifyInstance {
    config: AppConfig;
  }
}

/** The configuration once the server has decided where the database is. */
export type AppConfig = Config & { databaseUrl: string };

const API_VERSION = "1.0.0";

/** Builds the whole application without listening, so the server and the tests share it. */
export async function buildApp(
  config: AppConfig,
  options: {
    /** false: no logging at all (scripts that only need the routes). */
    logger?: false;
    /** The server's own logger, so start-up and requests log through one stream; else createLogger's. */
    loggerInstance?: FastifyBaseLogger;
    /** Replaces the engine built from config.docker, e.g. to observe which calls a request makes. */
    dockerEngine?: DockerEngine;
    /** Replaces the system resolver for outbound requests' hosts, e.g. to play a DNS server that rebinds. */
    resolveOutboundHost?: ResolveHost;
    /** Learners' sandboxes from this provider, whatever SANDBOXES_ENABLED says (tests own its host). */
    sandboxProvider?: SandboxProvider;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false
      ? { logger: false }
      : { loggerInstance: options.loggerInstance ?? createLogger(config.logLevel ?? "info") }),
    bodyLimit: config.bodyLimitBytes,
    // Loading and checking the course takes a second on a quiet machine and several on a busy one;
    // start-up must not fail for being slow (Fastify's default gives each plugin 10 s).
    pluginTimeout: 120_000,
    // A hop count is proxy-addr's "trust the n nearest proxies", which Fastify's types spell as a function.
    trustProxy:
      typeof config.trustProxy === "number"
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(config.trustProxy)
        : config.trustProxy,
    requestTimeout: config.http.requestTimeoutMs,
    connectionTimeout: 60_000,
    http: {
      // A slowloris client keeps an idle timer fresh by trickling bytes; these bound the whole
      // headers and the whole request instead. Node sweeps for them every
      // connectionsCheckingInterval (30 s by default): 1 s keeps the bound close to the setting.
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    // Idle keep-alive sockets would otherwise hold a graceful shutdown open.
    forceCloseConnections: "idle",
    genReqId: (request) => {
      const incoming = request.headers["x-request-id"];
      return typeof incoming === "string" && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: false, // see plugins/shutdown.ts
    frameworkErrors: replyWithProblem,
    clientErrorHandler: writeClientErrorProblem,
  }).withTypeProvider<ZodTypeProvider>();

  // Above the cap Node closes new sockets at once: memory and file descriptors stay bounded.
  app.server.maxConnections = config.http.maxConnections;
  capConnectionsPerAddress(app.server, config.http.maxConnectionsPerAddress, config.trustProxy);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate("config", config);

  await app.register(problemHandler);
  await app.register(securityPlugin);
  await app.register(inputHygienePlugin);
  await app.register(shutdownPlugin);
  await app.register(openApiPlugin, { version: API_VERSION, requireAuth: config.requireAuth });
  await app.register(storagePlugin, { databaseUrl: config.databaseUrl, deadlines: config.database });
  await app.register(secretsKeyPlugin, { secretsKey: config.secretsKey });
  await app.register(corsPlugin, { origins: config.corsOrigins });
  await app.register(rateLimitPlugin, {
    perMinute: config.rateLimitPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    redisUrl: config.redisUrl,
  });
  await app.register(authPlugin, { requireAuth: config.requireAuth, cacheTtlMs: config.cacheTtlMs });
  await app.register(deliveryPlugin, {
    ...config.delivery,
    secretsKey: config.secretsKey,
    resolveHost: options.resolveOutboundHost,
  });
  await app.register(idempotencyPlugin);
  await app.register(dockerPlugin, { engine: options.dockerEngine });
  await app.register(sandboxesPlugin, { provider: options.sandboxProvider });
  // The sandbox terminal's WebSocket: a keystroke each way needs no request per character. 64 KiB: a long paste.
  await app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(labsPlugin);
  await app.register(contentPlugin, { contentDir: config.contentDir });
  await app.register(routes);
  return app;
}
