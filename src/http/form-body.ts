import type { FastifyInstance } from "fastify";

/**
 * HTML forms post application/x-www-form-urlencoded (an LTI platform's launch, the picker's choice,
 * the page that asks before switching sessions). A field posted once is a string; a field posted
 * several times (the picker's checkboxes, one `item` per choice) is the list of its values, so a
 * schema that wants one value answers 400 naming it rather than keeping whichever came last.
 * Registered per route plugin, so the rest of the API keeps answering 415 to a form.
 */
export function acceptFormBodies(app: FastifyInstance): void {
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_request, body, done) => {
    done(null, formFields(String(body)));
  });
}

function formFields(body: string): Record<string, string | string[]> {
  // A Map, then own properties: a field named __proto__ or constructor is a field like any other.
  const fields = new Map<string, string | string[]>();
  for (const [name, value] of new URLSearchParams(body)) {
    const earlier = fields.get(name);
    fields.set(name, earlier === undefined ? value : [earlier, value].flat());
  }
  return Object.fromEntries(fields);
}
