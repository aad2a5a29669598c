import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { ProblemError, serviceUnavailable } from "../errors/problem.js";

/** Turns every error, ours and Fastify's, into application/problem+json without leaking internals. */
export const problemHandler = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(replyWithProblem);
    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        new ProblemError({
          status: 404,
          slug: "not-found",
          title: "Not Found",
          detail: `No route ${request.method} ${request.url.split("?")[0]}`,
        }),
        request,
        reply,
      ),
    );
  },
  { name: "problem-handler" },
);

/** The one way an error becomes a response; also Fastify's `frameworkErrors`, for errors met before routing. */
export function replyWithProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(toProblemError(error, request), request, reply);
}

/**
 * Fastify's `clientErrorHandler`: a request too broken to parse (bad framing, headers too large,
 * too slow) has no request object, so the answer is written to the socket directly.
 */
export function writeClientErrorProblem(error: Error & { code?: string }, socket: Duplex) {
  if (!socket.writable) return socket.destroy();
  const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const body = JSON.stringify({
    type: `https://aprendiendo-docker.dev/problems/${status === 400 ? "malformed-request" : "client-error"}`,
    title: titleFor(status),
    status,
    detail: status === 408 ? "The request took too long to arrive." : "The request could not be parsed as HTTP.",
  });
  socket.end(
    `HTTP/1.1 ${status} ${titleFor(status)}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toProblemError(error: FastifyError, request: FastifyRequest): ProblemError {
  if (error instanceof ProblemError) return error;

  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext ?? "request";
    const errors = error.validation.map((issue) => ({
      path: [location, ...issue.instancePath.split("/").filter(Boolean)].join("."),
      message: issue.message ?? "is invalid",
    }));
    return new ProblemError({
      status: 400,
      slug: "validation",
      title: "Bad Request",
      detail: errors.map((e) => `${e.path}: ${e.message}`).join("; "),
      extensions: { errors },
    });
  }

  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, "database unavailable");
    return serviceUnavailable("The database is unavailable. Try again shortly.", 5, { dependency: "database" });
  }

  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    // Fastify's own client errors (bad JSON, body too large, unsupported media type) carry safe messages.
    return new ProblemError({ status, slug: slugFor(error), title: titleFor(status), detail: error.message });
  }

  request.log.error({ err: error }, "unhandled error");
  return new ProblemError({
    status: 500,
    slug: "internal",
    title: "Internal Server Error",
    detail: "Something went wrong on our side. The error has been logged.",
  });
}

function sendProblem(problem: ProblemError, request: FastifyRequest, reply: FastifyReply) {
  if (problem.status >= 500) request.log.warn({ status: problem.status, detail: problem.message }, "request failed");
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type("application/problem+json")
    .send(JSON.stringify(problem.toProblem(request.url.split("?")[0])));
}

function slugFor(error: FastifyError): string {
  switch (error.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "malformed-json";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "body-too-large";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "unsupported-media-type";
    default:
      return "client-error";
  }
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
};

function titleFor(status: number): string {
  return TITLES[status] ?? "Client Error";
}
