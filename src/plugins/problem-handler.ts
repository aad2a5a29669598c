import type { Duplex } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { isDatabaseUnavailable } from "../db/database-errors.js";
import { DatabaseUnavailable, EngineFailure } from "../errors/domain-errors.js";
import {
  isKnownDomainError,
  type Problem,
  problemDetails,
  problemForDomainError,
  titleFor,
} from "../http/problem-table.js";

/** Turns every error, ours and Fastify's, into application/problem+json without leaking internals. */
export const problemHandler = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler(replyWithProblem);
    app.setNotFoundHandler((request, reply) =>
      sendProblem(
        { status: 404, slug: "not-found", detail: `No route ${request.method} ${request.url.split("?")[0]}` },
        request,
        reply,
      ),
    );
  },
  { name: "problem-handler" },
);

/** The one way an error becomes a response; also Fastify's `frameworkErrors`, for errors met before routing. */
export function replyWithProblem(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(toProblem(error, request), request, reply);
}

/**
 * Fastify's `clientErrorHandler`: a request too broken to parse (bad framing, headers too large,
 * too slow) has no request object, so the answer is written to the socket directly.
 */
export function writeClientErrorProblem(error: Error & { code?: string }, socket: Duplex) {
  if (!socket.writable) return socket.destroy();
  const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
  const body = JSON.stringify(
    problemDetails({
      status,
      slug: status === 400 ? "malformed-request" : "client-error",
      detail: status === 408 ? "The request took too long to arrive." : "The request could not be parsed as HTTP.",
    }),
  );
  socket.end(
    `HTTP/1.1 ${status} ${titleFor(status)}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toProblem(error: FastifyError, request: FastifyRequest): Problem {
  if (error instanceof EngineFailure) {
    // The caller is told a few fixed words; what the socket or the engine said is ours to read.
    request.log.warn({ engine: error.engine, diagnosis: error.diagnosis }, "docker engine call failed");
  }
  if (isKnownDomainError(error)) return problemForDomainError(error);

  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = error.validationContext ?? "request";
    const errors = error.validation.map((issue) => ({
      path: [location, ...issue.instancePath.split("/").filter(Boolean)].join("."),
      message: issue.message ?? "is invalid",
    }));
    return {
      status: 400,
      slug: "validation",
      detail: errors.map((e) => `${e.path}: ${e.message}`).join("; "),
      extensions: { errors },
    };
  }

  if (isDatabaseUnavailable(error)) {
    request.log.error({ err: error }, "database unavailable");
    return problemForDomainError(new DatabaseUnavailable("The database is unavailable. Try again shortly."));
  }

  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    // Fastify's own client errors (bad JSON, body too large, unsupported media type) carry safe messages.
    return { status, slug: slugFor(error), detail: error.message };
  }

  request.log.error({ err: error }, "unhandled error");
  return { status: 500, slug: "internal", detail: "Something went wrong on our side. The error has been logged." };
}

function sendProblem(problem: Problem, request: FastifyRequest, reply: FastifyReply) {
  if (problem.status >= 500) request.log.warn({ status: problem.status, detail: problem.detail }, "request failed");
  return reply
    .code(problem.status)
    .headers(problem.headers ?? {})
    .type("application/problem+json")
    .send(JSON.stringify(problemDetails(problem, request.url.split("?")[0])));
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
