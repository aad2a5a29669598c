import {
  type CommitOutcomeUnknown,
  type DestinationRefused,
  DomainError,
  type EngineRefused,
  type EngineUnavailable,
  type InvalidInput,
  type KnownDomainError,
  type LabEngineTaken,
  type LabRefused,
  type RateLimited,
  type SandboxUnavailable,
  type ScopeMissing,
  type SessionExpired,
  type TooManyFailedAuthentications,
  type TooManyGradingsInFlight,
  type Unauthenticated,
  type WebhookUrlRefused,
} from "../errors/domain-errors.js";

/**
 * The one place where errors become HTTP: each domain error's status, problem type and headers.
 * Titles come from the status, and every type URL from one base, so no service names either.
 */
interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/** A problem ready to send: RFC 9457 fields plus the headers that go with it. */
export interface Problem {
  status: number;
  slug: string;
  detail: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
}

const PROBLEM_TYPE_BASE = "https://aprendiendo-docker.dev/problems/";

const ENGINE_RETRY_AFTER_SECONDS = 10;
const DATABASE_RETRY_AFTER_SECONDS = 5;
const REALM = 'Bearer realm="aprendiendo-docker"';

type Mapping<E extends DomainError> = (error: E) => Omit<Problem, "detail"> & { detail?: string };
type ProblemTable = { [K in KnownDomainError["code"]]: Mapping<Extract<KnownDomainError, { code: K }>> };

const PROBLEM_TABLE: ProblemTable = {
  "invalid-input": (error: InvalidInput) => ({
    status: 400,
    slug: "validation",
    extensions: { errors: [{ path: error.path, message: error.problem }] },
  }),
  "not-found": () => ({ status: 404, slug: "not-found" }),
  "webhook-url-refused": (error: WebhookUrlRefused) => ({
    status: 422,
    slug: "webhook-url-refused",
    detail: `body.${error.field}: ${error.message}`,
    extensions: { errors: [{ path: `body.${error.field}`, message: error.message }] },
  }),
  "destination-refused": (error: DestinationRefused) => ({
    status: 422,
    slug: "destination-refused",
    extensions: { errors: [{ path: error.path, message: error.message }] },
  }),
  "lti-launch-refused": () => ({ status: 401, slug: "lti-launch-refused" }),
  "lab-refused": (error: LabRefused) => ({
    status: 422,
    slug: "lab-refused",
    ...(error.path ? { extensions: { errors: [{ path: error.path, message: error.message }] } } : {}),
  }),
  "lab-engine-taken": (error: LabEngineTaken) => ({
    status: 409,
    slug: "lab-engine-taken",
    extensions: { errors: [{ path: error.path, message: error.message }] },
  }),
  "engine-not-granted": () => ({ status: 403, slug: "engine-not-granted" }),
  "lesson-has-exercises": () => ({ status: 409, slug: "lesson-has-exercises" }),
  "idempotency-key-reused": () => ({ status: 422, slug: "idempotency-key-reused" }),
  "idempotency-key-in-progress": () => ({
    status: 409,
    slug: "idempotency-key-in-progress",
    headers: { "retry-after": "1" },
  }),
  // Never the engine's own status: its 401 would read as "your API key is wrong", its 404 as "no such route".
  "engine-unavailable": (error: EngineUnavailable) => ({
    status: 503,
    slug: "engine-unavailable",
    detail: `The Docker engine at ${error.engine} is unavailable (${error.reason}). Nothing was stored; try again shortly.`,
    extensions: { dependency: "docker", engine: error.engine },
    headers: { "retry-after": String(ENGINE_RETRY_AFTER_SECONDS) },
  }),
  "engine-refused": (error: EngineRefused) => ({
    status: 502,
    slug: "engine-refused",
    detail: `The Docker engine at ${error.engine} ${error.reason}. Nothing was stored; check the lab's engine URL and credentials.`,
    extensions: { dependency: "docker", engine: error.engine },
  }),
  "database-unavailable": () => ({
    status: 503,
    slug: "service-unavailable",
    extensions: { dependency: "database" },
    headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) },
  }),
  // 504, not 503: a 503 says the request was not done and invites a plain retry, which would count twice.
  "commit-outcome-unknown": (error: CommitOutcomeUnknown) => ({
    status: 504,
    slug: "commit-outcome-unknown",
    extensions: { dependency: "database", ...(error.idempotencyKey ? { idempotencyKey: error.idempotencyKey } : {}) },
    headers: { "retry-after": String(DATABASE_RETRY_AFTER_SECONDS) },
  }),
  "shutting-down": () => ({ status: 503, slug: "service-unavailable", headers: { "retry-after": "1" } }),
  "sandbox-unavailable": (error: SandboxUnavailable) => ({
    status: 503,
    slug: "sandbox-unavailable",
    extensions: { reason: error.reason },
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
  unauthenticated: (error: Unauthenticated) => ({
    status: 401,
    slug: "unauthorized",
    headers: { "www-authenticate": error.invalidToken ? `${REALM}, error="invalid_token"` : REALM },
  }),
  "scope-missing": (error: ScopeMissing) => ({
    status: 403,
    slug: "insufficient-scope",
    extensions: { requiredScope: error.scope },
    headers: { "www-authenticate": `${REALM}, error="insufficient_scope", scope="${error.scope}"` },
  }),
  "session-expired": (error: SessionExpired) => ({
    status: 401,
    slug: "session-expired",
    extensions: { expiredAt: error.expiredAt.toISOString() },
    headers: { "www-authenticate": `${REALM}, error="invalid_token", error_description="session expired"` },
  }),
  "session-refused": () => ({ status: 403, slug: "session-refused" }),
  "too-many-failed-authentications": (error: TooManyFailedAuthentications) => ({
    status: 429,
    slug: "too-many-failed-authentications",
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
  "rate-limited": (error: RateLimited) => ({
    status: 429,
    slug: "rate-limited",
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
  // 429, not 503: the engine serves other callers; only this caller's own load is refused.
  "too-many-gradings-in-flight": (error: TooManyGradingsInFlight) => ({
    status: 429,
    slug: "too-many-gradings-in-flight",
    extensions: { limit: error.limit, per: error.per },
    headers: { "retry-after": String(error.retryAfterSeconds) },
  }),
};

export function isKnownDomainError(error: unknown): error is KnownDomainError {
  return error instanceof DomainError && Object.hasOwn(PROBLEM_TABLE, error.code);
}

export function problemForDomainError(error: KnownDomainError): Problem {
  // The table maps each code to the mapping of its own error class; indexing by a union loses that pairing.
  const mapping = PROBLEM_TABLE[error.code] as Mapping<KnownDomainError>;
  const mapped = mapping(error);
  return { ...mapped, detail: mapped.detail ?? error.message };
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? "Server Error" : "Client Error");
}

export function problemDetails(problem: Problem, instance?: string): ProblemDetails {
  return {
    type: PROBLEM_TYPE_BASE + problem.slug,
    title: titleFor(problem.status),
    status: problem.status,
    detail: problem.detail,
    ...(instance ? { instance } : {}),
    ...problem.extensions,
  };
}
