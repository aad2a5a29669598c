import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Database } from "../db/prisma.js";
import { SESSION_COOKIE, sessionCookieOptions } from "../http/session-cookie.js";
import type { Language } from "../schemas/language.js";
import { mintLearnerSession } from "../sessions/learner-sessions.js";
import { escapeHtml } from "../web/html.js";
import type { Launch } from "./launch.js";

/** How long the browser session an LTI launch opens lasts: a class period and then some. */
const LAUNCH_SESSION_SECONDS = 8 * 3600;

/**
 * Where a launched learner lands: the learner's page, signed in. The launch mints a learner session
 * and sets it as the page's cookie (SameSite=None; Secure; Partitioned over https, so it works in
 * the platform's iframe), then redirects to the placed exercise's lesson.
 */
export async function landLearner(
  reply: FastifyReply,
  request: FastifyRequest,
  db: Database,
  launch: Launch & { teaching: false },
  lessonSlug: string | undefined,
) {
  const session = await mintLearnerSession(db, {
    clientId: launch.platform.clientId,
    learnerId: launch.learnerId,
    ttlSeconds: LAUNCH_SESSION_SECONDS,
  });
  reply.setCookie(SESSION_COOKIE, session.token, sessionCookieOptions(request, session.expiresAt));
  reply.header("cache-control", "no-store");
  return reply.redirect(lessonSlug ? `/lessons/${lessonSlug}` : "/", 303);
}

/** What a page the platform may frame is allowed to do, beyond showing itself. */
export interface FramablePage {
  status?: number;
  language: Language;
  title: string;
  /** HTML, escaped by the caller. */
  body: string;
  /** Origins that may frame the page, besides the tool's own. */
  frameAncestors: readonly string[];
  /** Where its forms may post, besides the tool itself. */
  formTargets?: readonly string[];
  /** The inline scripts it runs, allowed by their hash and nothing else. */
  scripts?: readonly string[];
}

/**
 * The one set of headers of every page the tool shows inside a platform's iframe (a refused launch,
 * the picker, the answer to the platform): framable by the platform, posting forms only where it
 * says, and running no script but those it names by hash.
 */
export function sendFramablePage(reply: FastifyReply, page: FramablePage) {
  const origins = (urls: readonly string[]) => [...new Set(["'self'", ...urls.map((url) => new URL(url).origin)])];
  const scriptSrc = page.scripts?.length ? `script-src ${page.scripts.map(scriptHash).join(" ")}; ` : "";
  // X-Frame-Options: DENY (set for every response) would overrule frame-ancestors in old browsers.
  reply.removeHeader("x-frame-options");
  return reply
    .code(page.status ?? 200)
    .header(
      "content-security-policy",
      `default-src 'none'; ${scriptSrc}style-src 'unsafe-inline'; form-action ${origins(page.formTargets ?? []).join(" ")}; ` +
        `frame-ancestors ${origins(page.frameAncestors).join(" ")}`,
    )
    .header("cache-control", "no-store")
    .header("content-language", page.language)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html>\n<html lang="${page.language}"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title></head><body>\n${page.body}\n</body></html>\n`,
    );
}

function scriptHash(script: string): string {
  return `'sha256-${createHash("sha256").update(script).digest("base64")}'`;
}

/**
 * Who may frame the pages of one platform's launch: the origins an admin listed (FRAME_ANCESTORS),
 * and the platform's own, which its registration and the launch tell. The course page is where the
 * return URL points (a Canvas school's own host), not always where the issuer or the login endpoint
 * are (canvas.instructure.com, sso.canvaslms.com), so each counts.
 */
export function platformFrameAncestors(
  platform: { issuer: string; authUrl: string },
  configured: readonly string[],
  returnUrl?: string,
): string[] {
  return [...configured, platform.issuer, platform.authUrl, ...(returnUrl ? [returnUrl] : [])];
}

const REFUSED: Record<Language, { title: string; next: string; forTeacher: string }> = {
  es: {
    title: "No pudimos abrir esta actividad",
    next: "Vuelve a la página del curso en tu plataforma y ábrela otra vez. Si vuelve a pasar, avisa a tu profesor o profesora con el detalle de abajo.",
    forTeacher: "Detalle para el profesorado",
  },
  en: {
    title: "We could not open this activity",
    next: "Go back to the course page on your platform and open it again. If it happens again, tell your teacher, with the detail below.",
    forTeacher: "Detail for teachers",
  },
};

/**
 * A refused launch, for the person in the platform's iframe: what to do next in their language, and
 * why, folded, for their teacher. The platform may frame it (FRAME_ANCESTORS); it runs no script.
 */
export function launchRefusedPage(
  reply: FastifyReply,
  status: number,
  detail: string,
  language: Language,
  frameAncestors: readonly string[],
) {
  const words = REFUSED[language];
  const body =
    `<h1>${escapeHtml(words.title)}</h1>\n<p>${escapeHtml(words.next)}</p>\n` +
    `<details><summary>${escapeHtml(words.forTeacher)}</summary><p>${escapeHtml(detail)}</p></details>`;
  return sendFramablePage(reply, { status, language, title: words.title, body, frameAncestors });
}
