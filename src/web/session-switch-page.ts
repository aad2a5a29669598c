import type { Language } from "../schemas/language.js";
import { escapeHtml } from "./html.js";

const WORDS: Record<
  Language,
  {
    title: string;
    held: (learner: string) => string;
    link: (learner: string) => string;
    caution: string;
    switchTo: (learner: string) => string;
    stayAs: (learner: string) => string;
  }
> = {
  es: {
    title: "¿Cambiar de sesión?",
    held: (learner) => `Este navegador tiene abierta la sesión de <strong>${learner}</strong>.`,
    link: (learner) => `El enlace que has abierto es de otra persona: <strong>${learner}</strong>.`,
    caution:
      "Si no esperabas este enlace, no cambies: alguien podría querer que trabajes, y te califiquen, en su sesión.",
    switchTo: (learner) => `Entrar como ${learner}`,
    stayAs: (learner) => `Seguir como ${learner}`,
  },
  en: {
    title: "Switch sessions?",
    held: (learner) => `This browser is signed in as <strong>${learner}</strong>.`,
    link: (learner) => `The link you opened is someone else's: <strong>${learner}</strong>.`,
    caution:
      "If you did not expect this link, do not switch: someone may want you to work, and be graded, in their session.",
    switchTo: (learner) => `Sign in as ${learner}`,
    stayAs: (learner) => `Stay as ${learner}`,
  },
};

/**
 * The page a session link shows in a browser signed in as another learner: it switches only on a
 * click, a POST that carries the link's token (the Origin check on POST /session refuses one sent
 * from another site's page). No script and no inline style, under the course page's policy. The
 * referrer is the origin alone, so the token in this page's address reaches no Referer; "no-referrer"
 * would also make browsers send `Origin: null` with the form, which the check refuses.
 */
export function sessionSwitchPage(
  language: Language,
  switching: { heldLearner: string; linkLearner: string; token: string },
): string {
  const words = WORDS[language];
  const held = escapeHtml(switching.heldLearner);
  const next = escapeHtml(switching.linkLearner);
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="strict-origin">
<title>${escapeHtml(words.title)}</title>
<link rel="icon" href="/app/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/app/app.css">
</head>
<body>
<main id="main" class="session-switch">
<h1>${escapeHtml(words.title)}</h1>
<p>${words.held(held)}</p>
<p>${words.link(next)}</p>
<p>${escapeHtml(words.caution)}</p>
<form method="post" action="/session">
<input type="hidden" name="token" value="${escapeHtml(switching.token)}">
<button type="submit">${escapeHtml(words.switchTo(switching.linkLearner))}</button>
</form>
<p><a href="/">${escapeHtml(words.stayAs(switching.heldLearner))}</a></p>
</main>
</body>
</html>
`;
}
