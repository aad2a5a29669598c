import type { FastifyInstance } from "fastify";

/**
 * HTML forms post application/x-www-form-urlencoded (an LTI platform's launch, the page that asks
 * before switching sessions): each field once, as a string. Registered per route plugin, so the rest
 * of the API keeps answering 415 to a form.
 */
export function acceptFormBodies(app: FastifyInstance): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
}
