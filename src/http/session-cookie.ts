import type { CookieSerializeOptions } from "@fastify/cookie";
import type { FastifyRequest } from "fastify";

/** The HttpOnly cookie a browser holds a learner session in, once it has opened the session's url. */
export const SESSION_COOKIE = "aprendiendo_session";

/**
 * Attributes that let the cookie travel inside an LMS's iframe, a third-party context. Over https:
 * SameSite=None (the LMS's page is another site) with Secure (browsers drop SameSite=None without it)
 * and Partitioned (CHIPS: browsers that block third-party cookies still keep one partitioned per
 * embedding site). Over plain http, as on http://localhost for self-study, SameSite=None would be
 * rejected, so the cookie is SameSite=Lax: the page is its own top-level site there, not embedded.
 */
export function sessionCookieOptions(request: FastifyRequest, expiresAt: Date): CookieSerializeOptions {
  const overHttps = request.protocol === "https";
  return {
    path: "/",
    httpOnly: true,
    expires: expiresAt,
    ...(overHttps ? { secure: true, sameSite: "none", partitioned: true } : { sameSite: "lax" }),
  };
}

/** This service's origin as the browser sees it (over https behind a proxy only with TRUST_PROXY). */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
