import type { FastifyReply } from "fastify";
import type { Launch } from "./launch.js";

/**
 * Where a launched learner lands. For now a minimal page; the learner web page will replace it,
 * and this is the one function to change (e.g. into a redirect to that page).
 */
export function landLearner(reply: FastifyReply, launch: Launch, exerciseTitle: string | undefined) {
  const body = page(
    "Aprendiendo Docker",
    `<h1>${escapeHtml(exerciseTitle ?? "Aprendiendo Docker")}</h1>
<p>Learner: <code>${escapeHtml(launch.learnerId)}</code>${launch.exerciseId ? ` · exercise <code>${escapeHtml(launch.exerciseId)}</code>` : ""}</p>`,
  );
  return sendLtiPage(reply, launch, body, []);
}

/** The teacher's picker: one button per exercise, each posting its own signed response to the platform. */
export function deepLinkingPicker(
  reply: FastifyReply,
  launch: Launch,
  returnUrl: string,
  choices: { title: string; jwt: string }[],
) {
  const forms = choices
    .map(
      (choice) =>
        `<form method="post" action="${escapeHtml(returnUrl)}"><input type="hidden" name="JWT" value="${escapeHtml(choice.jwt)}"><button type="submit">${escapeHtml(choice.title)}</button></form>`,
    )
    .join("\n");
  return sendLtiPage(reply, launch, page("Elige un ejercicio", `<h1>Elige un ejercicio</h1>\n${forms}`), [returnUrl]);
}

/**
 * Platforms show tools in an iframe, and a picker posts back to the platform: the page allows
 * framing by the platform's origin and form posts to it, and nothing else (no scripts at all).
 */
function sendLtiPage(reply: FastifyReply, launch: Launch, html: string, postsTo: string[]) {
  const platformOrigin = new URL(launch.platform.authUrl).origin;
  const formTargets = ["'self'", ...postsTo.map((url) => new URL(url).origin)].join(" ");
  reply.removeHeader("x-frame-options");
  return reply
    .header(
      "content-security-policy",
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formTargets}; frame-ancestors 'self' ${platformOrigin}`,
    )
    .header("cache-control", "no-store")
    .type("text/html; charset=utf-8")
    .send(html);
}

function page(title: string, content: string): string {
  return `<!doctype html>\n<html lang="es"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>\n${content}\n</body></html>\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
