// @ts-check
// The learner's page: a router over the public /v1 JSON, the page's state, and the chrome around the
// views (language, theme, notices). No framework, no build step: each view is a module of views/.
import { ApiError, api, currentSession } from "./api.js";
import { STRINGS } from "./i18n.js";
import { matchPage } from "./page-routes.js";
import { h } from "./render.js";
import { savedValue, saveValue } from "./saved.js";
import { commandView } from "./views/command.js";
import { commandsView } from "./views/commands.js";
import { lessonView } from "./views/lesson.js";
import { notFoundView } from "./views/not-found.js";
import { outlineView } from "./views/outline.js";
import { searchView } from "./views/search.js";

/**
 * @typedef {import("./types/page.js").PageContext} PageContext
 * @typedef {import("./types/page.js").Page} Page
 */

/**
 * An element index.html always has.
 * @param {string} id
 */
function elementById(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html has no #${id}`);
  return element;
}

const main = elementById("main");
const notice = elementById("notice");
/** @type {{ lang: "es" | "en", session: import("./api.js").Session | null }} */
const state = {
  lang: savedValue("lang") === "en" ? "en" : "es",
  /** Once signed in; null otherwise. */
  session: null,
};
const t = () => STRINGS[state.lang];
/** Settles once GET /v1/session has answered, whatever it answered: state.session is then known. */
let sessionKnown = Promise.resolve();

// ---- chrome: language, theme, notices ------------------------------------------------------

/**
 * The keys of the page's words that are plain text, not functions of a count or a name.
 * @typedef {import("./i18n.js").Strings} Strings
 * @typedef {{ [Key in keyof Strings]: Strings[Key] extends string ? Key : never }[keyof Strings]} TextKey
 */

/**
 * The words that index.html marks with data-text or data-label, by their key.
 * @param {string | undefined} key
 */
function chromeText(key) {
  const text = key === undefined ? undefined : new Map(Object.entries(t())).get(key);
  return typeof text === "string" ? text : "";
}

function applyChrome() {
  const strings = t();
  document.documentElement.lang = state.lang;
  for (const element of document.querySelectorAll("[data-text]")) {
    if (element instanceof HTMLElement) element.textContent = chromeText(element.dataset.text);
  }
  for (const element of document.querySelectorAll("[data-label]")) {
    if (element instanceof HTMLElement) element.setAttribute("aria-label", chromeText(element.dataset.label));
  }
  const langToggle = elementById("lang-toggle");
  langToggle.textContent = strings.otherLanguage;
  langToggle.lang = state.lang === "es" ? "en" : "es";
  // The button names what it does: in dark mode it offers the light theme.
  const dark = document.documentElement.dataset.theme === "dark";
  elementById("theme-toggle").textContent = dark ? strings.lightTheme : strings.darkTheme;
}

function initialTheme() {
  const stored = savedValue("theme");
  if (stored === "dark" || stored === "light") return stored;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

/** @param {TextKey} key */
function showNotice(key) {
  notice.textContent = t()[key];
  notice.dataset.reason = key;
  notice.hidden = false;
}

/**
 * Problems any view can meet: an expired session changes the whole page, not one panel.
 * @param {unknown} error
 */
function noteProblem(error) {
  if (error instanceof ApiError && error.reason === "sessionExpired") {
    state.session = null;
    showNotice("sessionExpired");
  }
}

/** @param {unknown} error */
function problemMessage(error) {
  if (!(error instanceof ApiError)) throw error;
  const reason = error.reason;
  return h(
    "div",
    { className: `problem problem-${reason}` },
    h("p", null, t()[reason]),
    reason === "failedRequest" ? h("p", null, error.message) : null,
  );
}

/** @returns {Promise<import("./api.js").Progress | null>} */
async function progressOrNull() {
  await sessionKnown;
  if (!state.session) return null;
  try {
    return await api(`/v1/learners/${encodeURIComponent(state.session.learnerId)}/progress`, { lang: state.lang });
  } catch (error) {
    noteProblem(error);
    return null;
  }
}

/** @returns {PageContext} what a view rendered now gets: the language and words of this moment */
function pageContext() {
  return {
    lang: state.lang,
    strings: t(),
    session: () => state.session,
    progress: progressOrNull,
    noteProblem,
    problemMessage,
  };
}

// ---- router -------------------------------------------------------------------------------

/**
 * One view per page of web/page-routes.js, the table the server answers index.html from too.
 * @type {{ [View in import("./page-routes.js").ViewName]: (context: PageContext, params: Record<string, string>) => Promise<Page> }}
 */
const VIEWS = {
  outline: (context) => outlineView(context),
  lesson: (context, params) => lessonView(context, params.slug ?? ""),
  commands: (context) => commandsView(context),
  command: (context, params) => commandView(context, params.slug ?? ""),
  search: (context) => searchView(context),
};

let renderSequence = 0;
// Following an anchor (the skip link, a heading's #) also fires popstate: the view stays as it is.
let renderedAddress = "";

/** @param {{ moveFocus: boolean }} options */
async function render({ moveFocus }) {
  const sequence = ++renderSequence;
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const found = matchPage(path);
  const context = pageContext();
  main.setAttribute("aria-busy", "true");
  /** @type {Page | null} */
  let page;
  try {
    page = found ? await VIEWS[found.view](context, found.params) : null;
  } catch (error) {
    noteProblem(error);
    if (!(error instanceof ApiError)) throw error;
    page = error.status === 404 ? null : { title: "Aprendiendo Docker", view: problemMessage(error) };
  }
  if (sequence !== renderSequence) return; // a newer navigation won
  page ??= notFoundView(context);
  document.title = page.title === "Aprendiendo Docker" ? page.title : `${page.title} · Aprendiendo Docker`;
  main.replaceChildren(page.view);
  renderedAddress = location.pathname + location.search;
  main.removeAttribute("aria-busy");
  const target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (target) target.scrollIntoView({ behavior: "instant" });
  else if (moveFocus) {
    window.scrollTo(0, 0);
    main.focus({ preventScroll: true });
  }
  await page.after?.().catch((error) => {
    noteProblem(error);
    if (!(error instanceof ApiError)) throw error;
  });
}

/** @param {string | URL} url */
function navigate(url) {
  history.pushState(null, "", url);
  render({ moveFocus: true });
}

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (
    !(link instanceof HTMLAnchorElement) ||
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !matchPage(url.pathname)) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // an anchor on this page
  event.preventDefault();
  navigate(url);
});

const searchForm = document.querySelector("form.search");
searchForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!(searchForm instanceof HTMLFormElement)) return;
  const q = new FormData(searchForm).get("q");
  navigate(`/search?q=${encodeURIComponent(String(q))}`);
});

elementById("lang-toggle").addEventListener("click", () => {
  state.lang = state.lang === "es" ? "en" : "es";
  saveValue("lang", state.lang);
  mirrorLanguageInCookie();
  applyChrome();
  if (!notice.hidden) showNotice(notice.dataset.reason === "sessionInvalid" ? "sessionInvalid" : "sessionExpired");
  render({ moveFocus: false });
});

elementById("theme-toggle").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  saveValue("theme", next);
  applyChrome();
});

window.addEventListener("popstate", () => {
  if (location.pathname + location.search !== renderedAddress) render({ moveFocus: false });
});

// ---- start --------------------------------------------------------------------------------

/** The server puts a lesson's title in its page in this language (src/web/lesson-pages.ts). */
function mirrorLanguageInCookie() {
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing in older Safari and Firefox; the value is "es" or "en"
  document.cookie = `lang=${state.lang}; path=/; max-age=31536000; samesite=lax`;
}

document.documentElement.dataset.theme = initialTheme();
mirrorLanguageInCookie();
applyChrome();

// Where a sign-in link that no longer works lands (see GET /session): say why, then tidy the URL.
const linkOutcome = new URLSearchParams(location.search).get("session");
if (linkOutcome === "expired" || linkOutcome === "invalid") {
  showNotice(linkOutcome === "expired" ? "sessionExpired" : "sessionInvalid");
  history.replaceState(null, "", location.pathname);
}

// The session and the page's content are asked for at once: the text never waits for the session.
sessionKnown = currentSession().then(
  (session) => {
    state.session = session;
  },
  (error) => noteProblem(error),
);
await render({ moveFocus: false });
