import type { FastifyReply, FastifyRequest } from "fastify";
import type { Storage } from "../db/storage.js";
import { SESSION_COOKIE, sessionCookieOptions } from "../http/session-cookie.js";
import type { Language } from "../schemas/language.js";
import { mintLearnerSession } from "../sessions/learner-sessions.js";
import { escapeHtml } from "../web/html.js";
import { sendFramablePage } from "./framable-page.js";
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
  storage: Storage,
  launch: Launch & { teaching: false },
  lessonSlug: string | undefined,
) {
  const session = await mintLearnerSession(storage, {
    clientId: launch.platform.clientId,
    learnerId: launch.learnerId,
    ttlSeconds: LAUNCH_SESSION_SECONDS,
  });
  reply.setCookie(SESSION_COOKIE, session.token, sessionCookieOptions(request, session.expiresAt));
  reply.header("cache-control", "no-store");
  return reply.redirect(lessonSlug ? `/lessons/${lessonSlug}` : "/", 303);
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
