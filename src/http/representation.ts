import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

/** A response body serialized once, with the strong validator that identifies it. */
export interface Representation {
  /** Bytes, not a string: sending a string re-encodes it and measures its length on every response. */
  body: Buffer;
  etag: string;
  contentType: string;
}

export function jsonRepresentation(value: unknown): Representation {
  return representationOf(JSON.stringify(value), "application/json; charset=utf-8");
}

export function representationOf(text: string | Buffer, contentType: string): Representation {
  const body = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const digest = createHash("sha256").update(body).digest("base64url").slice(0, 32);
  return { body, etag: `"${digest}"`, contentType };
}

/**
 * Sends a prepared representation with its ETag and Cache-Control, or 304 when the client's
 * If-None-Match already names it. Clients may keep content for `maxAgeSeconds` and revalidate after.
 */
export function sendRepresentation(
  request: FastifyRequest,
  reply: FastifyReply,
  representation: Representation,
  maxAgeSeconds = 300,
) {
  reply.header("etag", representation.etag);
  reply.header("cache-control", `public, max-age=${maxAgeSeconds}, must-revalidate`);
  if (matchesIfNoneMatch(request.headers["if-none-match"], representation.etag)) {
    return reply.code(304).send();
  }
  return reply.type(representation.contentType).send(representation.body);
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison, and `*` matches any current representation. */
function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((candidate) => candidate.trim().replace(/^W\//, "") === etag);
}
