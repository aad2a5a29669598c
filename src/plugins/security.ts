import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import helmet, { type HelmetOptions } from "helmet";

/**
 * The strictest policy that still lets /docs (swagger-ui: same-origin scripts and styles,
 * inline style attributes, data: icons) work. A route may send its own, as the diagrams do.
 */
const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      imgSrc: ["'self'", "data:"],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      // No upgrade-insecure-requests: the service listens on plain HTTP by default, and
      // upgrading /docs' assets to https would break it when reached by an IP address.
    },
  },
  // Lesson frontends on other origins embed our diagrams with <img>.
  crossOriginResourcePolicy: { policy: "cross-origin" },
  frameguard: { action: "deny" },
  // Headers for old browsers' features a JSON API never triggers (IE8 downloads, Flash policy
  // files, the removed XSS auditor, DNS prefetching, agent clusters): each costs every response.
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  xDnsPrefetchControl: false,
  originAgentCluster: false,
};

/**
 * Security headers on every response, errors and 304s included. Helmet computes them once
 * here; @fastify/helmet would rebuild its middleware on every request (a tenth of the CPU
 * time of a lesson request in our profile, see docs/benchmarks.md).
 */
export const securityPlugin = fp(
  async (app: FastifyInstance) => {
    const headers = securityHeaders(HELMET_OPTIONS);
    app.addHook("onRequest", (_request, reply, done) => {
      reply.headers(headers);
      done();
    });
  },
  { name: "security" },
);

/** Runs helmet's middleware once against a response on an unconnected socket, which is never sent. */
function securityHeaders(options: HelmetOptions): Record<string, string> {
  const request = new IncomingMessage(new Socket());
  const response = new ServerResponse(request);
  let failure: unknown;
  helmet(options)(request, response, (error?: unknown) => {
    failure = error;
  });
  if (failure) throw failure;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.getHeaders())) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return headers;
}
