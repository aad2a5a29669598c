import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { InvalidInput } from "../errors/domain-errors.js";

/**
 * PostgreSQL cannot store U+0000 in text, so a string holding it would fail deep inside a write as a
 * 500. Every string of every request is checked here, once, before the route's schema runs.
 */
export const inputHygienePlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook("preValidation", (request, _reply, done) => {
      const found =
        nulPath(request.params, "params") ?? nulPath(request.query, "querystring") ?? nulPath(request.body, "body");
      done(found ? new InvalidInput(found, "must not contain the NUL character (U+0000)") : undefined);
    });
  },
  { name: "input-hygiene" },
);

/**
 * Iterative, so a deeply nested body (which JSON.parse accepts) cannot overflow the stack. Paths are
 * only spelled out for objects that are entered: every request pays for the scan, few for a path.
 */
function nulPath(root: unknown, rootPath: string): string | undefined {
  if (typeof root === "string") return root.includes("\u0000") ? rootPath : undefined;
  if (!root || typeof root !== "object") return undefined;
  const pending: [Record<string, unknown>, string][] = [[root as Record<string, unknown>, rootPath]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [object, path] = next;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      if (key.includes("\u0000")) return `${path}.${key}`;
      const item = object[key];
      if (typeof item === "string") {
        if (item.includes("\u0000")) return `${path}.${key}`;
      } else if (item && typeof item === "object") {
        pending.push([item as Record<string, unknown>, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
