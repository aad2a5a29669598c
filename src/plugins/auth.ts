import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type ApiKeyCache, type AuthenticatedClient, createApiKeyCache } from "../clients/api-clients.js";
import { hasScope, type Scope } from "../clients/scopes.js";
import { ScopeMissing, Unauthenticated } from "../errors/domain-errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The API client that sent the request; null when no key was sent (public routes only). */
    client: AuthenticatedClient | null;
  }
  interface FastifyInstance {
    /** Authenticates keys from a short-lived cache; `forget` after a revocation on this replica. */
    apiKeys: ApiKeyCache;
  }
  interface FastifyContextConfig {
    /**
     * The scope a caller needs, declared on the route: `config: { scope: "progress:read" }`.
     * No scope: the route is public. `content:read` is only enforced when REQUIRE_AUTH is on.
     */
    scope?: Scope;
  }
}

/**
 * Authenticates `Authorization: Bearer <key>` before anything else runs (so the rate limit can count
 * per client), then enforces the route's declared scope. A key that is sent must be valid, even on
 * public routes, so a revoked key is refused (within CACHE_TTL_MS, see ApiKeyCache) rather than silently
 * downgraded to anonymous.
 * Unknown and malformed keys count against the sender's IP (app.authFailures); a request without a
 * key guesses nothing and is not counted.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { requireAuth: boolean; cacheTtlMs: number }) => {
    app.decorateRequest("client", null);
    app.decorate("apiKeys", createApiKeyCache(app.sql, options.cacheTtlMs));

    app.addHook("onRequest", async (request) => {
      request.client = await authenticate(app, request);
      const scope = request.routeOptions.config.scope;
      if (!scope || (scope === "content:read" && !options.requireAuth)) return;
      if (!request.client)
        throw new Unauthenticated("This operation needs an API key: Authorization: Bearer <key>.", false);
      if (!hasScope(request.client.scopes, scope)) throw new ScopeMissing(scope);
    });
  },
  { name: "auth", dependencies: ["prisma", "rate-limit"] },
);

async function authenticate(app: FastifyInstance, request: FastifyRequest): Promise<AuthenticatedClient | null> {
  const header = request.headers.authorization;
  if (header === undefined) return null;
  await app.authFailures.refuseIfExhausted(request);
  const key = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  const client = key ? await app.apiKeys.authenticate(key) : null;
  if (client) return client;
  await app.authFailures.count(request);
  throw new Unauthenticated(
    key ? "The API key is unknown or has been revoked." : 'The Authorization header must be "Bearer <key>".',
    true,
  );
}

/** The authenticated caller of a route that declared a scope (the hook guarantees there is one). */
export function clientOf(request: FastifyRequest): AuthenticatedClient {
  if (!request.client)
    throw new Unauthenticated("This operation needs an API key: Authorization: Bearer <key>.", false);
  return request.client;
}
