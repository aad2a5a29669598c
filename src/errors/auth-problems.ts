import { ProblemError } from "./problem.js";

const REALM = 'Bearer realm="aprendiendo-docker"';

/** 401: no key, or one we do not know. The header tells the caller how to authenticate (RFC 6750). */
export function unauthorized(detail: string, invalidToken: boolean): ProblemError {
  return new ProblemError({
    status: 401,
    slug: "unauthorized",
    title: "Unauthorized",
    detail,
    headers: { "www-authenticate": invalidToken ? `${REALM}, error="invalid_token"` : REALM },
  });
}

/** 403: a known client without the scope this route needs; the scope is named for the caller to request. */
export function missingScope(scope: string): ProblemError {
  return new ProblemError({
    status: 403,
    slug: "insufficient-scope",
    title: "Forbidden",
    detail: `This API key lacks the scope "${scope}" that this operation requires.`,
    extensions: { requiredScope: scope },
    headers: { "www-authenticate": `${REALM}, error="insufficient_scope", scope="${scope}"` },
  });
}

/** 429 for an IP that sent too many unknown or malformed keys, whatever key it sends next. */
export function tooManyFailedAuthentications(retryAfterSeconds: number, limit: number): ProblemError {
  return new ProblemError({
    status: 429,
    slug: "too-many-failed-authentications",
    title: "Too Many Requests",
    detail: `More than ${limit} failed authentications in a minute from this address. Retry after ${retryAfterSeconds} s.`,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}

export function tooManyRequests(retryAfterSeconds: number, limit: number): ProblemError {
  return new ProblemError({
    status: 429,
    slug: "rate-limited",
    title: "Too Many Requests",
    detail: `More than ${limit} requests in a minute from this client. Retry after ${retryAfterSeconds} s.`,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}
