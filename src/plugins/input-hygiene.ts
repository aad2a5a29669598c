import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { InvalidInput } from "../errors/domain-errors.js";

/**
 * PostgreSQL cannot store U+0000 in text, so a string holding it would fail deep inside a write as a
 * 500. Every string of every request is checked here, once, before the route's schema runs.
 */
export const inputHygienePlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook("preValidation", async (request) => {
      const found =
        nulPath(request.params, "params") ?? nulPath(request.query, "querystring") ?? nulPath(request.body, "body");
      if (found) throw new InvalidInput(found, "must not contain the NUL character (U+0000)");
    });
  },
  { name: "input-hygiene" },
);

function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? path : undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = nulPath(item, `${path}.${index}`);
      if (found) return found;
    }
    return undefined;
  }
  if (value && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = key.includes("\u0000") ? `${path}.${key}` : nulPath(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}
