import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { InvalidInput } from "../errors/domain-errors.js";
import { isRecord } from "../schemas/guards.js";

/**
 * The one text rule: every string a request carries must be text PostgreSQL can store, or it would
 * fail deep inside a write (or a lookup) as a 500. PostgreSQL refuses U+0000 in text, and a lone
 * UTF-16 surrogate, which JSON's "\ud800" escape can make, has no UTF-8 form: the driver sends it as
 * U+FFFD and a jsonb value with it is invalid JSON. Every string and key of the path, query and body is
 * checked here, once, before the route's schema runs. (Percent-decoding and form parsing never make a
 * surrogate; the check does not rely on that.)
 */
export const inputHygienePlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook("preValidation", (request, _reply, done) => {
      const found =
        flawedText(request.params, "params") ??
        flawedText(request.query, "querystring") ??
        flawedText(request.body, "body");
      done(found ? new InvalidInput(found.path, found.problem) : undefined);
    });
  },
  { name: "input-hygiene" },
);

/** What is wrong with a string as text, if anything. */
function textFlaw(text: string): string | undefined {
  if (text.includes("\u0000")) return "must not contain the NUL character (U+0000)";
  if (!text.isWellFormed()) return "must be well-formed Unicode: a lone UTF-16 surrogate (U+D800–U+DFFF) is not text";
  return undefined;
}

/**
 * Iterative, so a deeply nested body (which JSON.parse accepts) cannot overflow the stack. Paths are
 * only spelled out for objects that are entered: every request pays for the scan, few for a path.
 */
function flawedText(root: unknown, rootPath: string): { path: string; problem: string } | undefined {
  if (typeof root === "string") {
    const problem = textFlaw(root);
    return problem ? { path: rootPath, problem } : undefined;
  }
  if (!isRecord(root)) return undefined;
  const pending: [Record<string, unknown>, string][] = [[root, rootPath]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [object, path] = next;
    for (const key in object) {
      if (!Object.hasOwn(object, key)) continue;
      const keyProblem = textFlaw(key);
      // Named in well-formed text (a lone surrogate as U+FFFD), so the answer can be stored and logged.
      if (keyProblem) return { path: `${path}.${key.toWellFormed()}`, problem: keyProblem };
      const item = object[key];
      if (typeof item === "string") {
        const problem = textFlaw(item);
        if (problem) return { path: `${path}.${key}`, problem };
      } else if (isRecord(item)) {
        pending.push([item, `${path}.${key}`]);
      }
    }
  }
  return undefined;
}
