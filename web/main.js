// The learner's page: a router over the public /v1 JSON. No framework, no build step.
import { ApiError, api } from "./api.js";
import {
  courseOutline,
  lastLesson,
  lessonsInOrder,
  lessonsRead,
  markRead,
  rememberLesson,
  resumeTarget,
} from "./course.js";
import { exercisePanel } from "./exercise-panel.js";
import { STRINGS } from "./i18n.js";
import { h, inlineMarkdown, pageHref, renderBlocks } from "./render.js";
import { savedValue, saveValue } from "./saved.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const state = {
  lang: savedValue("lang") === "en" ? "en" : "es",
  /** {learnerId, expiresAt} once signed in; null otherwise. */
  session: null,
};
const t = () => STRINGS[state.lang];
/** Settles once GET /v1/session has answered, whatever it answered: state.session is then known. */
let sessionKnown = Promise.resolve();

// ---- chrome: language, theme, notices ------------------------------------------------------

function applyChrome() {
  const strings = t();
  document.documentElement.lang = state.lang;
  for (const element of document.querySelectorAll("[data-text]")) element.textContent = strings[element.dataset.text];
  for (const element of document.querySelectorAll("[data-label]"))
    element.setAttribute("aria-label", strings[element.dataset.label]);
  const langToggle = document.getElementById("lang-toggle");
  langToggle.textContent = strings.otherLanguage;
  langToggle.lang = state.lang === "es" ? "en" : "es";
  // The button names what it does: in dark mode it offers the light theme.
  const dark = document.documentElement.dataset.theme === "dark";
  document.getElementById("theme-toggle").textContent = dark ? strings.lightTheme : strings.darkTheme;
}

function initialTheme() {
  const stored = savedValue("theme");
  if (stored === "dark" || stored === "light") return stored;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function showNotice(key) {
  notice.textContent = t()[key];
  notice.dataset.reason = key;
  notice.hidden = false;
}

/** Problems any view can meet: an expired session changes the whole page, not one panel. */
function noteProblem(error) {
  if (error instanceof ApiError && error.reason === "sessionExpired") {
    state.session = null;
    showNotice("sessionExpired");
  }
}

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

// ---- views --------------------------------------------------------------------------------

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

function progressBar(value, label) {
  return h("progress", { max: 100, value: Math.round(value), "aria-label": label }, `${Math.round(value)} %`);
}

/** The course map: every lesson with its place, what is done, the lesson last opened, and the way back in. */
async function outlineView() {
  const outline = await courseOutline(state.lang);
  const progress = await progressOrNull();
  const strings = t();
  const lessons = lessonsInOrder(outline);
  const read = lessonsRead();
  const byLesson = new Map((progress?.lessons ?? []).map((lesson) => [lesson.lesson, lesson]));
  const resume = resumeTarget(lessons, progress);
  const current = lastLesson();
  const readCount = lessons.filter((lesson) => read.has(lesson.slug) || byLesson.get(lesson.slug)?.completed).length;
  const lessonCard = (lesson) => {
    const mine = byLesson.get(lesson.slug);
    const isCurrent = lesson.slug === current;
    return h(
      "li",
      {
        className: `lesson-card${isCurrent ? " is-current" : ""}${mine?.completed ? " is-done" : ""}`,
        "data-lesson": lesson.slug,
      },
      h(
        "a",
        { href: `/lessons/${lesson.slug}`, "aria-current": isCurrent ? "step" : undefined },
        h("span", { className: "order" }, `${lesson.position}.`),
        " ",
        lesson.title,
      ),
      isCurrent ? h("span", { className: "badge badge-current" }, strings.youAreHere) : null,
      h("p", null, inlineMarkdown(lesson.summary)),
      h(
        "p",
        { className: "meta" },
        `${lesson.minutes} ${strings.minutes} · `,
        lesson.exerciseCount > 0
          ? mine
            ? h(
                "span",
                { className: "lesson-progress" },
                strings.exercisesPassed(mine.passed, mine.exercises),
                " ",
                progressBar(mine.completion, `${lesson.title}: ${strings.lessonProgress}`),
              )
            : strings.exerciseCount(lesson.exerciseCount)
          : strings.noExercises,
        read.has(lesson.slug) && !mine?.completed ? h("span", { className: "badge badge-read" }, strings.read) : null,
        mine?.completed ? h("span", { className: "badge badge-pass" }, ` ✓ ${strings.lessonDone}`) : null,
      ),
    );
  };
  return {
    title: "Aprendiendo Docker",
    view: h(
      "div",
      { className: "outline" },
      h("h1", null, "Aprendiendo Docker"),
      h(
        "p",
        { className: "lede" },
        `${strings.lessonCount(lessons.length)} · ${outline.totalMinutes} ${strings.minutes}`,
      ),
      h(
        "section",
        { className: "resume", "aria-labelledby": "resume-title" },
        h("h2", { id: "resume-title" }, resume.started ? strings.resume : strings.startCourse),
        h(
          "a",
          { className: "button-link primary", href: `/lessons/${resume.lesson.slug}` },
          `${strings.lessonOf(resume.lesson.position, lessons.length)}: ${resume.lesson.title} →`,
        ),
      ),
      progress
        ? h(
            "section",
            { className: "overall", "aria-labelledby": "overall-title" },
            h("h2", { id: "overall-title" }, strings.yourProgress),
            h(
              "p",
              null,
              strings.lessonsReadOf(readCount, lessons.length),
              " · ",
              strings.exercisesPassed(progress.overall.passed, progress.overall.exercises),
              ` (${progress.overall.percentage} %)`,
            ),
            progressBar(progress.overall.percentage, strings.yourProgress),
          )
        : null,
      outline.modules.map((module) =>
        h(
          "section",
          { className: "module", "aria-labelledby": `module-${module.slug}` },
          h("h2", { id: `module-${module.slug}` }, module.title),
          h(
            "ol",
            { className: "lessons" },
            lessons.filter((lesson) => lesson.module.slug === module.slug).map(lessonCard),
          ),
        ),
      ),
    ),
  };
}

/** Marks the lesson read once its end has been on screen: a learner who opened it and left has not read it. */
function watchReading(slug, end) {
  if (!("IntersectionObserver" in window)) return markRead(slug);
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) {
      markRead(slug);
      observer.disconnect();
    }
  });
  observer.observe(end);
}

/**
 * A lesson: its text renders from the lesson's one request; where it sits in the course, the
 * learner's progress and the exercises fill in after, each on its own. The `tools` region is where a
 * panel beside the text (the lesson's commands; later a terminal) goes.
 */
async function lessonView(slug) {
  const lesson = await api(`/v1/lessons/${encodeURIComponent(slug)}`, { lang: state.lang });
  const strings = t();
  rememberLesson(lesson.slug);
  const place = h("span", { className: "place" });
  const lessonProgress = h("div", { className: "lesson-progress", id: "lesson-progress" });
  const exercisesSlot = h("div", { className: "exercise-list" });
  let progress = null;
  const showLessonProgress = () => {
    const mine = progress?.lessons.find((entry) => entry.lesson === lesson.slug);
    lessonProgress.replaceChildren(
      mine
        ? h(
            "p",
            null,
            `${strings.lessonProgress}: ${strings.exercisesPassed(mine.passed, mine.exercises)} `,
            progressBar(mine.completion, strings.lessonProgress),
          )
        : "",
    );
  };
  const outlineLoaded = courseOutline(state.lang).then(lessonsInOrder);
  const end = h(
    "nav",
    { className: "pager", "aria-label": `${strings.previous} / ${strings.next}` },
    lesson.previous
      ? h("a", { href: pageHref(lesson.previous.href), rel: "prev" }, `← ${lesson.previous.title}`)
      : h("span"),
    lesson.next ? h("a", { href: pageHref(lesson.next.href), rel: "next" }, `${lesson.next.title} →`) : h("span"),
  );

  /** After a grade: a pass says so and points on, to the next exercise or, the lesson done, the next lesson. */
  const onGraded = async (submission, wayOn) => {
    progress = await progressOrNull();
    showLessonProgress();
    if (submission.status !== "passed") return;
    const passed = new Set((progress?.exercises ?? []).filter((e) => e.passed).map((e) => e.exerciseId));
    const next = lesson.exercises.find((e) => !passed.has(e.id));
    if (next) {
      wayOn.replaceChildren(
        h(
          "a",
          { className: "button-link primary", href: `#exercise-${next.id}` },
          `${strings.nextExercise}: ${next.title} ↓`,
        ),
      );
      return;
    }
    const lessons = await outlineLoaded.catch(() => null);
    const here = lessons?.find((entry) => entry.slug === lesson.slug);
    wayOn.replaceChildren(
      h("p", { className: "lesson-done" }, strings.lessonCompleted),
      lesson.next
        ? h(
            "a",
            { className: "button-link primary", href: pageHref(lesson.next.href), rel: "next" },
            `${strings.nextLesson}: ${lesson.next.title} →`,
          )
        : h("p", null, strings.courseDone),
      here?.lastOfModule ? moduleSummary(here.module, strings) : null,
    );
  };

  const view = h(
    "div",
    { className: "lesson-layout" },
    h(
      "article",
      { className: "lesson" },
      h(
        "nav",
        { className: "crumbs", "aria-label": strings.whereYouAre },
        h("a", { href: "/" }, strings.course),
        " › ",
        lesson.module.title,
        " · ",
        place,
      ),
      h("h1", null, lesson.title),
      h("p", { className: "lede" }, inlineMarkdown(lesson.summary), ` · ${lesson.minutes} ${strings.minutes}`),
      lesson.objectives.length
        ? h(
            "section",
            { className: "objectives" },
            h("h2", null, strings.objectives),
            h(
              "ul",
              null,
              lesson.objectives.map((o) => h("li", null, inlineMarkdown(o))),
            ),
          )
        : null,
      renderBlocks(lesson.blocks, strings),
      lesson.exercises.length
        ? h(
            "section",
            { className: "exercises", "aria-labelledby": "exercises-title" },
            h("h2", { id: "exercises-title" }, strings.exercises),
            lessonProgress,
            exercisesSlot,
          )
        : null,
      end,
    ),
    h(
      "div",
      { className: "tools" },
      lesson.commands.length
        ? h(
            "aside",
            { className: "side", "aria-labelledby": "side-title" },
            h("h2", { id: "side-title" }, strings.commandsInLesson),
            h(
              "ul",
              null,
              lesson.commands.map((c) =>
                h(
                  "li",
                  null,
                  h("a", { href: pageHref(c.href) }, h("code", null, c.command)),
                  h("span", null, inlineMarkdown(c.synopsis)),
                ),
              ),
            ),
          )
        : null,
    ),
  );

  // Everything below the text: none of it holds the title back.
  const after = async () => {
    outlineLoaded
      .then((lessons) => {
        const here = lessons.find((entry) => entry.slug === lesson.slug);
        if (here) place.textContent = strings.lessonOf(here.position, lessons.length);
      })
      .catch(() => {});
    progress = await progressOrNull();
    showLessonProgress();
    const context = {
      strings,
      lang: state.lang,
      session: () => state.session,
      noteProblem,
      problemMessage,
      onGraded,
    };
    const panels = await Promise.all(
      lesson.exercises.map((exercise) =>
        exercisePanel(exercise.id, context).catch((error) => {
          noteProblem(error);
          return problemMessage(error);
        }),
      ),
    );
    exercisesSlot.replaceChildren(...panels);
    // A deep link to an exercise can be followed only now that it exists.
    if (location.hash.startsWith("#exercise-")) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  };
  watchReading(lesson.slug, end);
  return { title: lesson.title, view, after };
}

/** At a module's end: what its lessons taught, as the outline sums each up. */
function moduleSummary(module, strings) {
  return h(
    "section",
    { className: "module-summary", "aria-label": strings.moduleDone(module.title) },
    h("p", { className: "module-summary-title" }, strings.moduleDone(module.title)),
    h("p", null, strings.moduleLearned),
    h(
      "ul",
      null,
      module.lessons.map((entry) => h("li", null, h("strong", null, entry.title), ": ", inlineMarkdown(entry.summary))),
    ),
  );
}

async function commandsView() {
  const strings = t();
  const list = await api("/v1/commands", { lang: state.lang });
  const items = h("ul", { className: "command-list" });
  const show = (query) => {
    const q = query.trim().toLowerCase();
    items.replaceChildren(
      ...list.items
        .filter((c) => !q || `${c.command} ${c.synopsis}`.toLowerCase().includes(q))
        .map((c) =>
          h(
            "li",
            null,
            h("a", { href: pageHref(c.href) }, h("code", null, c.command)),
            h("span", null, inlineMarkdown(c.synopsis)),
          ),
        ),
    );
  };
  show("");
  const filter = h("input", { id: "command-filter", type: "search", oninput: (event) => show(event.target.value) });
  return {
    title: strings.commands,
    view: h(
      "div",
      { className: "commands" },
      h("h1", null, strings.commands),
      h("p", { className: "filter" }, h("label", { for: "command-filter" }, strings.filterCommands), " ", filter),
      items,
    ),
  };
}

async function commandView(slug) {
  const strings = t();
  const command = await api(`/v1/commands/${encodeURIComponent(slug)}`, { lang: state.lang });
  return {
    title: command.command,
    view: h(
      "article",
      { className: "command" },
      h(
        "nav",
        { className: "crumbs", "aria-label": strings.commands },
        h("a", { href: "/commands" }, strings.allCommands),
      ),
      h("h1", null, h("code", null, command.command)),
      h("p", { className: "lede" }, inlineMarkdown(command.synopsis)),
      h("p", null, inlineMarkdown(command.description)),
      command.options.length
        ? [
            h("h2", null, strings.options),
            h(
              "dl",
              { className: "options" },
              command.options.map((o) => [
                h("dt", null, h("code", null, o.flag)),
                h("dd", null, inlineMarkdown(o.description)),
              ]),
            ),
          ]
        : null,
      h("h2", null, strings.examples),
      command.examples.map((example) => [
        h("p", null, inlineMarkdown(example.description)),
        h("pre", { tabindex: 0 }, h("code", null, example.command)),
      ]),
      command.lessons.length
        ? [
            h("h2", null, strings.usedIn),
            h(
              "ul",
              null,
              command.lessons.map((l) => h("li", null, h("a", { href: pageHref(l.href) }, l.title))),
            ),
          ]
        : null,
      h("p", null, h("a", { href: command.reference, rel: "noopener noreferrer" }, strings.officialReference)),
    ),
  };
}

async function searchView() {
  const strings = t();
  const q = new URLSearchParams(location.search).get("q") ?? "";
  document.getElementById("q").value = q;
  const found = q ? await api(`/v1/search?q=${encodeURIComponent(q)}`, { lang: state.lang }) : { results: [] };
  return {
    title: strings.resultsFor(q),
    view: h(
      "div",
      { className: "search-results" },
      h("h1", null, strings.resultsFor(q)),
      found.results.length === 0
        ? h("p", null, strings.noResults)
        : h(
            "ol",
            null,
            found.results.map((r) =>
              h(
                "li",
                null,
                h("span", { className: "badge" }, r.kind === "lesson" ? strings.kindLesson : strings.kindCommand),
                " ",
                h("a", { href: pageHref(r.href) }, r.title),
                h("p", null, inlineMarkdown(r.summary)),
              ),
            ),
          ),
    ),
  };
}

// ---- router -------------------------------------------------------------------------------

const ROUTES = [
  [/^\/$/, () => outlineView()],
  [/^\/lessons\/([\w-]+)$/, (m) => lessonView(m[1])],
  [/^\/commands$/, () => commandsView()],
  [/^\/commands\/([\w-]+)$/, (m) => commandView(m[1])],
  [/^\/search$/, () => searchView()],
];

let renderSequence = 0;

async function render({ moveFocus }) {
  const sequence = ++renderSequence;
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const route = ROUTES.map(([pattern, view]) => [pattern.exec(path), view]).find(([match]) => match);
  main.setAttribute("aria-busy", "true");
  let page;
  try {
    page = route ? await route[1](route[0]) : null;
  } catch (error) {
    noteProblem(error);
    if (!(error instanceof ApiError)) throw error;
    page = error.status === 404 ? null : { title: "Aprendiendo Docker", view: problemMessage(error) };
  }
  if (sequence !== renderSequence) return; // a newer navigation won
  page ??= {
    title: t().notFound,
    view: h("div", null, h("h1", null, t().notFound), h("p", null, h("a", { href: "/" }, t().backToCourse))),
  };
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

function navigate(url) {
  history.pushState(null, "", url);
  render({ moveFocus: true });
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (
    !link ||
    event.defaultPrevented ||
    event.button !== 0 ||
    event.metaKey ||
    event.ctrlKey ||
    event.shiftKey ||
    event.altKey
  )
    return;
  const url = new URL(link.href);
  if (url.origin !== location.origin || !ROUTES.some(([pattern]) => pattern.test(url.pathname))) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // an anchor on this page
  event.preventDefault();
  navigate(url);
});

document.querySelector("form.search").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = new FormData(event.target).get("q");
  navigate(`/search?q=${encodeURIComponent(String(q))}`);
});

document.getElementById("lang-toggle").addEventListener("click", () => {
  state.lang = state.lang === "es" ? "en" : "es";
  saveValue("lang", state.lang);
  mirrorLanguageInCookie();
  applyChrome();
  if (!notice.hidden) showNotice(notice.dataset.reason);
  render({ moveFocus: false });
});

document.getElementById("theme-toggle").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  saveValue("theme", next);
  applyChrome();
});

// Following an anchor (the skip link, a heading's #) also fires popstate: the view stays as it is.
let renderedAddress = "";
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
sessionKnown = api("/v1/session").then(
  (session) => {
    state.session = session;
  },
  (error) => noteProblem(error),
);
await render({ moveFocus: false });
