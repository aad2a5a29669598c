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

/** Iterative, so a deeply nested body (which JSON.parse accepts) cannot overflow the stack. */
function nulPath(root: unknown, rootPath: string): string | undefined {
  const pending: [unknown, string][] = [[root, rootPath]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value === "string") {
      if (value.includes("\u0000")) return path;
    } else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (key.includes("\u0000")) return `${path}.${key}`;
        pending.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
