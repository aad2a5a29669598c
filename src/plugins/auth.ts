import fastifyCookie from "@fastify/cookie";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { type ApiKeyCache, type AuthenticatedClient, createApiKeyCache } from "../clients/api-clients.js";
import { hasScope, type Scope } from "../clients/scopes.js";
import { ScopeMissing, SessionRefused, Unauthenticated } from "../errors/domain-errors.js";
import { requestOrigin, SESSION_COOKIE } from "../http/session-cookie.js";
import { isRecord } from "../schemas/guards.js";
import { type AuthenticatedSession, findSessionByToken } from "../sessions/learner-sessions.js";
import { SESSION_TOKEN_PREFIX } from "../sessions/session-token.js";

declare module "fastify" {
  interface FastifyRequest {
    /**
     * The API client the request acts for: the key's client, or the client that minted the learner
     * session. Null when no credential was sent (public routes only).
     */
    client: AuthenticatedClient | null;
    /** Set when the caller is a learner session rather than an API key; it acts for this learner only. */
    learnerSession: AuthenticatedSession | null;
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
    /**
     * "own-learner": a learner session may call this route too, for its own learner only (every
     * `learnerId` in the path and body must be the session's). Routes without it refuse sessions,
     * except public and content routes, which sessions read like anyone.
     */
    learnerSession?: "own-learner";
  }
}

const NEEDS_KEY = "This operation needs an API key: Authorization: Bearer <key>.";

/**
 * Authenticates the caller before anything else runs (so the rate limit can count per caller), then
 * enforces what the route declared. Callers are API clients (`Bearer adk_…`) or learner sessions
 * (`Bearer ads_…`, or the session cookie). A credential that is sent must be valid, even on public
 * routes, so a revoked key is refused (within CACHE_TTL_MS, see ApiKeyCache) rather than silently
 * downgraded to anonymous. The
 * cookie is only read on routes that accept sessions: an ambient credential should reach no further.
 * Unknown and malformed credentials count against the sender's IP (app.authFailures); a request
 * without one guesses nothing and is not counted.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { requireAuth: boolean; cacheTtlMs: number }) => {
    // Cookies are parsed only where a session cookie is read (see sessionCookie), not on every request.
    await app.register(fastifyCookie, { hook: false });
    app.decorateRequest("client", null);
    app.decorateRequest("learnerSession", null);
    app.decorate("apiKeys", createApiKeyCache(app.storage, options.cacheTtlMs));

    const authorize = (request: FastifyRequest, config: RouteAccess, caller: Authenticated | null): void => {
      request.client = caller?.client ?? null;
      request.learnerSession = caller?.learnerSession ?? null;
      if (request.learnerSession) refuseBeyondTheLearner(config);
      const scope = config.scope;
      if (!scope || (scope === "content:read" && !options.requireAuth)) return;
      if (!request.client) throw new Unauthenticated(NEEDS_KEY, false);
      // A session's client carries the session's own scopes (findSessionByToken): never more than the key's.
      if (!hasScope(request.client.scopes, scope)) {
        throw new ScopeMissing(scope, request.learnerSession ? "learner session" : "API key");
      }
    };

    // Callback-style: most requests to public routes carry no credential, and an async hook would
    // cost each of them a promise for nothing to wait on.
    // Fastify builds request.routeOptions anew at each read: it is read once.
    app.addHook("onRequest", (request, _reply, done) => {
      const config: RouteAccess = request.routeOptions.config;
      const readCookie = config.learnerSession === "own-learner";
      if (!carriesCredential(request, readCookie)) return doneWith(done, () => authorize(request, config, null));
      authenticate(app, request, readCookie).then(
        (caller) => doneWith(done, () => authorize(request, config, caller)),
        (error: Error) => done(error),
      );
    });

    // After validation, so the body's learnerId is known and well-formed.
    app.addHook("preHandler", (request, _reply, done) => {
      const session = request.learnerSession;
      doneWith(done, () => session && requireOwnLearner(request, session));
    });
  },
  { name: "auth", dependencies: ["storage", "rate-limit"] },
);

/** Runs `step` and ends the hook with what it threw, if anything. */
function doneWith(done: (error?: Error) => void, step: () => void): void {
  let failure: Error | undefined;
  try {
    step();
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
  }
  done(failure);
}

function carriesCredential(request: FastifyRequest, readCookie: boolean): boolean {
  return request.headers.authorization !== undefined || (readCookie && request.headers.cookie !== undefined);
}

/** The learner session token the browser's cookie holds, if any (parsed here only, where it is read). */
export function sessionCookie(app: FastifyInstance, request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : app.parseCookie(header)[SESSION_COOKIE];
}

/** What a route declared about who may call it (see FastifyContextConfig above). */
type RouteAccess = { scope?: Scope | undefined; learnerSession?: "own-learner" | undefined };

type Authenticated = { client: AuthenticatedClient; learnerSession: AuthenticatedSession | null };

async function authenticate(
  app: FastifyInstance,
  request: FastifyRequest,
  readCookie: boolean,
): Promise<Authenticated | null> {
  const header = request.headers.authorization;
  if (header === undefined) {
    const cookie = readCookie ? sessionCookie(app, request) : undefined;
    if (cookie === undefined) return null;
    refuseCrossSiteWrite(request);
    return sessionFor(app, request, cookie);
  }
  await app.authFailures.refuseIfExhausted(request);
  const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
  if (token?.startsWith(SESSION_TOKEN_PREFIX)) return sessionFor(app, request, token);
  const client = token ? await app.apiKeys.authenticate(token) : null;
  if (client) return { client, learnerSession: null };
  await app.authFailures.count(request);
  throw new Unauthenticated(
    token ? "The API key is unknown or has been revoked." : 'The Authorization header must be "Bearer <key>".',
    true,
  );
}

async function sessionFor(app: FastifyInstance, request: FastifyRequest, token: string): Promise<Authenticated> {
  const learnerSession = await findSessionByToken(app.storage, token);
  if (learnerSession) return { client: learnerSession.client, learnerSession };
  await app.authFailures.count(request);
  throw new Unauthenticated("The learner session is unknown or has been revoked.", true);
}

/**
 * The cookie is SameSite=None so that it works inside an LMS's iframe, which means a page on any
 * site could make the browser send it. Browsers send Origin with every cross-origin request and
 * every POST or DELETE, so a write whose Origin is not ours is refused before it does anything.
 */
function refuseCrossSiteWrite(request: FastifyRequest): void {
  if (request.method === "GET" || request.method === "HEAD") return;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== requestOrigin(request)) {
    throw new SessionRefused(`A learner session's cookie is not accepted on a write from ${origin}.`);
  }
}

function refuseBeyondTheLearner(config: RouteAccess): void {
  const scope = config.scope;
  if (config.learnerSession === "own-learner" || !scope || scope === "content:read") return;
  throw new SessionRefused(
    "A learner session can only grade and read its own learner's submissions and progress; this operation needs an API key.",
  );
}

function requireOwnLearner(request: FastifyRequest, session: AuthenticatedSession): void {
  const named = [
    ["params.learnerId", isRecord(request.params) ? request.params.learnerId : undefined],
    ["body.learnerId", isRecord(request.body) ? request.body.learnerId : undefined],
  ] as const;
  for (const [field, learnerId] of named) {
    if (learnerId !== undefined && learnerId !== session.learnerId) {
      throw new SessionRefused(`${field}: this session belongs to learner "${session.learnerId}", not "${learnerId}".`);
    }
  }
}

/** The authenticated caller of a route that declared a scope (the hook guarantees there is one). */
export function clientOf(request: FastifyRequest): AuthenticatedClient {
  if (!request.client) throw new Unauthenticated(NEEDS_KEY, false);
  return request.client;
}

/** The learner session of a route only sessions use (e.g. GET /v1/session). */
export function sessionOf(request: FastifyRequest): AuthenticatedSession {
  if (!request.learnerSession) {
    throw new Unauthenticated(
      "This operation needs a learner session: its cookie, or Authorization: Bearer ads_….",
      false,
    );
  }
  return request.learnerSession;
}
