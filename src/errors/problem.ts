/**
 * Errors as values with a type and a status. Services throw these; one error
 * handler turns them into RFC 9457 problem+json, so no route formats errors itself.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

const PROBLEM_TYPE_BASE = "https://aprendiendo-docker.dev/problems/";

export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  readonly problemType: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(options: {
    status: number;
    slug: string;
    title: string;
    detail: string;
    extensions?: Record<string, unknown>;
    headers?: Record<string, string>;
  }) {
    super(options.detail);
    this.name = "ProblemError";
    this.status = options.status;
    this.title = options.title;
    this.problemType = PROBLEM_TYPE_BASE + options.slug;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toProblem(instance?: string): ProblemDetails {
    return {
      type: this.problemType,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export function notFound(detail: string): ProblemError {
  return new ProblemError({ status: 404, slug: "not-found", title: "Not Found", detail });
}

export function badRequest(detail: string, errors?: { path: string; message: string }[]): ProblemError {
  return new ProblemError({
    status: 400,
    slug: "validation",
    title: "Bad Request",
    detail,
    extensions: errors ? { errors } : {},
  });
}

export function serviceUnavailable(
  detail: string,
  retryAfterSeconds: number,
  extensions?: Record<string, unknown>,
): ProblemError {
  return new ProblemError({
    status: 503,
    slug: "service-unavailable",
    title: "Service Unavailable",
    detail,
    extensions,
    headers: { "retry-after": String(retryAfterSeconds) },
  });
}
