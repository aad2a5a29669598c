// The learner's page: a router over the public /v1 JSON. No framework, no build step.
import { ApiError, api } from "./api.js";
import { STRINGS } from "./i18n.js";
import { h, inlineMarkdown, pageHref, renderBlocks, renderInstructions } from "./render.js";

const main = document.getElementById("main");
const notice = document.getElementById("notice");
const state = {
  lang: localStorage.getItem("lang") === "en" ? "en" : "es",
  /** {learnerId, expiresAt} once signed in; null otherwise. */
  session: null,
};
const t = () => STRINGS[state.lang];

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
  const dark = document.documentElement.dataset.theme === "dark";
  const themeToggle = document.getElementById("theme-toggle");
  themeToggle.textContent = strings.darkTheme;
  themeToggle.setAttribute("aria-pressed", String(dark));
}

function initialTheme() {
  const stored = localStorage.getItem("theme");
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

async function outlineView() {
  const [outline, progress] = await Promise.all([api("/v1/lessons", { lang: state.lang }), progressOrNull()]);
  const strings = t();
  const lessonProgress = new Map((progress?.lessons ?? []).map((lesson) => [lesson.lesson, lesson]));
  return {
    title: "Aprendiendo Docker",
    view: h(
      "div",
      { className: "outline" },
      h("h1", null, "Aprendiendo Docker"),
      h(
        "p",
        { className: "lede" },
        `${outline.lessonCount} ${strings.lessons} · ${outline.totalMinutes} ${strings.minutes}`,
      ),
      progress
        ? h(
            "section",
            { className: "overall", "aria-labelledby": "overall-title" },
            h("h2", { id: "overall-title" }, strings.yourProgress),
            h(
              "p",
              null,
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
            module.lessons.map((lesson) => {
              const done = lessonProgress.get(lesson.slug);
              return h(
                "li",
                { className: "lesson-card", "data-lesson": lesson.slug },
                h(
                  "a",
                  { href: `/lessons/${lesson.slug}` },
                  h("span", { className: "order" }, `${lesson.order}.`),
                  " ",
                  lesson.title,
                ),
                h("p", null, inlineMarkdown(lesson.summary)),
                h(
                  "p",
                  { className: "meta" },
                  `${lesson.minutes} ${strings.minutes} · `,
                  lesson.exerciseCount > 0
                    ? done
                      ? h(
                          "span",
                          { className: "lesson-progress" },
                          strings.exercisesPassed(done.passed, done.exercises),
                          " ",
                          progressBar(done.completion, `${lesson.title}: ${strings.lessonProgress}`),
                        )
                      : `${lesson.exerciseCount} ${strings.exercises.toLowerCase()}`
                    : strings.noExercises,
                  done?.completed ? h("span", { className: "badge badge-pass" }, ` ✓ ${strings.lessonDone}`) : null,
                ),
              );
            }),
          ),
        ),
      ),
    ),
  };
}

async function lessonView(slug) {
  const [lesson, progress] = await Promise.all([
    api(`/v1/lessons/${encodeURIComponent(slug)}`, { lang: state.lang }),
    progressOrNull(),
  ]);
  const strings = t();
  const lessonProgress = h("div", { className: "lesson-progress", id: "lesson-progress" });
  const showLessonProgress = (all) => {
    const mine = all?.lessons.find((entry) => entry.lesson === lesson.slug);
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
  showLessonProgress(progress);
  const refreshProgress = async () => showLessonProgress(await progressOrNull());
  const panels = await Promise.all(lesson.exercises.map((exercise) => exercisePanel(exercise.id, refreshProgress)));
  return {
    title: lesson.title,
    view: h(
      "div",
      { className: "lesson-layout" },
      h(
        "article",
        { className: "lesson" },
        h(
          "nav",
          { className: "crumbs", "aria-label": strings.course },
          h("a", { href: "/" }, strings.course),
          " › ",
          lesson.module.title,
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
        panels.length
          ? h(
              "section",
              { className: "exercises", "aria-labelledby": "exercises-title" },
              h("h2", { id: "exercises-title" }, strings.exercises),
              lessonProgress,
              panels,
            )
          : null,
        h(
          "nav",
          { className: "pager", "aria-label": `${strings.previous} / ${strings.next}` },
          lesson.previous
            ? h("a", { href: pageHref(lesson.previous.href), rel: "prev" }, `← ${lesson.previous.title}`)
            : h("span"),
          lesson.next ? h("a", { href: pageHref(lesson.next.href), rel: "next" }, `${lesson.next.title} →`) : h("span"),
        ),
      ),
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
                  h("span", null, c.synopsis),
                ),
              ),
            ),
          )
        : null,
    ),
  };
}

/** One exercise: instructions, what is checked, the Check button, the result and past attempts. */
async function exercisePanel(exerciseId, refreshProgress) {
  const strings = t();
  const exercise = await api(`/v1/exercises/${encodeURIComponent(exerciseId)}`, { lang: state.lang });
  const id = `exercise-${exercise.id}`;
  const result = h("div", { className: "result", id: `${id}-result` });
  const live = h("p", { className: "visually-hidden", role: "status", "aria-live": "polite" });
  const attempts = h("div", { className: "attempts" });

  const showAttempts = async () => {
    if (!state.session) return;
    try {
      const page = await api(
        `/v1/learners/${encodeURIComponent(state.session.learnerId)}/submissions?exerciseId=${encodeURIComponent(exercise.id)}&limit=20`,
        { lang: state.lang },
      );
      attempts.replaceChildren(
        h(
          "details",
          null,
          h("summary", null, strings.attempts(page.items.length)),
          page.items.length === 0
            ? h("p", null, strings.noAttempts)
            : h(
                "ol",
                { className: "attempt-list" },
                page.items.map((submission) =>
                  h(
                    "li",
                    null,
                    h(
                      "time",
                      { datetime: submission.gradedAt },
                      new Date(submission.gradedAt).toLocaleString(state.lang),
                    ),
                    ` · ${submission.status === "passed" ? strings.statusPassed : strings.statusFailed} · ${submission.score}/${submission.maxScore} `,
                    h(
                      "button",
                      {
                        type: "button",
                        className: "link-button",
                        onclick: () => result.replaceChildren(submissionView(submission)),
                      },
                      strings.show,
                    ),
                  ),
                ),
              ),
        ),
      );
    } catch (error) {
      noteProblem(error);
    }
  };

  const nameInput = h("input", {
    id: `${id}-container`,
    name: "containerName",
    value: exercise.containerName,
    autocomplete: "off",
    spellcheck: "false",
    required: true,
  });
  // A question exercise is answered in the form; a container exercise names the container to grade.
  const questions = exercise.kind === "question" ? exercise.questions.map((q) => questionField(id, q, strings)) : [];
  const answers = () =>
    Object.fromEntries(questions.flatMap((q) => (q.value() === undefined ? [] : [[q.id, q.value()]])));
  const checkButton = h("button", { type: "submit", className: "primary" }, strings.check);
  const form = h(
    "form",
    {
      className: "check-form",
      onsubmit: async (event) => {
        event.preventDefault();
        if (!state.session) {
          result.replaceChildren(h("p", { className: "problem" }, strings.signInToCheck));
          return;
        }
        checkButton.disabled = true;
        live.textContent = strings.checking;
        result.replaceChildren(h("p", { className: "loading" }, strings.checking));
        try {
          const submission = await api(`/v1/exercises/${encodeURIComponent(exercise.id)}/submissions`, {
            method: "POST",
            lang: state.lang,
            body:
              exercise.kind === "question"
                ? { learnerId: state.session.learnerId, answers: answers() }
                : { learnerId: state.session.learnerId, containerName: nameInput.value.trim() },
          });
          result.replaceChildren(submissionView(submission));
          live.textContent =
            submission.status === "passed"
              ? strings.passed(submission.score, submission.maxScore)
              : strings.failed(submission.score, submission.maxScore);
          await Promise.all([showAttempts(), refreshProgress()]);
        } catch (error) {
          noteProblem(error);
          const message = problemMessage(error);
          result.replaceChildren(message);
          live.textContent = message.textContent;
        } finally {
          checkButton.disabled = false;
        }
      },
    },
    exercise.kind === "question"
      ? questions.map((q) => q.element)
      : [h("label", { for: nameInput.id }, strings.containerName), nameInput],
    checkButton,
  );

  await showAttempts();
  return h(
    "section",
    { className: "exercise", id, "aria-labelledby": `${id}-title` },
    h("h3", { id: `${id}-title` }, exercise.title),
    renderInstructions(exercise.instructions, strings),
    exercise.checks.length > 0 &&
      h(
        "details",
        { className: "checks-preview" },
        h("summary", null, strings.checksTitle),
        h(
          "ul",
          null,
          exercise.checks.map((check) =>
            h("li", null, check.description, h("span", { className: "points" }, ` · ${strings.points(check.points)}`)),
          ),
        ),
      ),
    state.session ? form : h("p", { className: "problem" }, strings.signInToCheck),
    live,
    result,
    attempts,
  );
}

/** One question's inputs, and what they answer: undefined while unanswered. */
function questionField(exerciseId, question, strings) {
  const name = `${exerciseId}-${question.id}`;
  const legend = h(
    "legend",
    null,
    inlineMarkdown(question.prompt),
    h("span", { className: "points" }, ` · ${strings.points(question.points)}`),
  );
  const field = (...children) =>
    h("fieldset", { className: "question", "data-question": question.id }, legend, children);
  if (question.type === "short") {
    const input = h("input", { name, autocomplete: "off", spellcheck: "false", "aria-label": question.prompt });
    return { id: question.id, element: field(input), value: () => input.value.trim() || undefined };
  }
  if (question.type === "order") {
    const selects = question.items.map((_, position) =>
      h(
        "select",
        { name: `${name}-${position + 1}`, "aria-label": strings.position(position + 1) },
        h("option", { value: "" }, "—"),
        question.items.map((item) => h("option", { value: item.id }, item.text)),
      ),
    );
    const value = () => (selects.every((select) => select.value) ? selects.map((select) => select.value) : undefined);
    return {
      id: question.id,
      element: field(
        h(
          "ol",
          null,
          selects.map((select) => h("li", null, select)),
        ),
      ),
      value,
    };
  }
  const type = question.type === "single" ? "radio" : "checkbox";
  const boxes = question.options.map((option) => h("input", { type, name, value: option.id }));
  const labels = question.options.map((option, index) =>
    h("label", { className: "option" }, boxes[index], " ", inlineMarkdown(option.text)),
  );
  const value = () => {
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    return type === "radio" ? chosen[0] : chosen;
  };
  return { id: question.id, element: field(labels), value };
}

function submissionView(submission) {
  const strings = t();
  const passed = submission.status === "passed";
  return h(
    "div",
    { className: `submission ${passed ? "is-passed" : "is-failed"}`, "data-status": submission.status },
    h(
      "p",
      { className: "verdict" },
      passed
        ? strings.passed(submission.score, submission.maxScore)
        : strings.failed(submission.score, submission.maxScore),
    ),
    h(
      "ul",
      { className: "check-results" },
      submission.checks.map((check) =>
        h(
          "li",
          { className: check.passed ? "check pass" : "check fail", "data-check": check.id },
          h(
            "p",
            { className: "check-head" },
            h("span", { className: "mark", "aria-hidden": "true" }, check.passed ? "✓" : "✗"),
            " ",
            check.description,
            h("span", { className: "points" }, ` ${check.points}/${check.maxPoints}`),
          ),
          h("p", { className: "feedback" }, inlineMarkdown(check.feedback)),
          check.passed
            ? null
            : h(
                "dl",
                { className: "versus" },
                h("dt", null, strings.expected),
                h("dd", null, h("code", null, check.expected)),
                h("dt", null, strings.actual),
                h("dd", null, h("code", null, check.actual ?? strings.nothing)),
              ),
        ),
      ),
    ),
    submission.hints.length
      ? h(
          "div",
          { className: "hints" },
          h("h4", null, strings.hints),
          h(
            "ul",
            null,
            submission.hints.map((hint) => h("li", null, inlineMarkdown(hint))),
          ),
        )
      : null,
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
          h("li", null, h("a", { href: pageHref(c.href) }, h("code", null, c.command)), h("span", null, c.synopsis)),
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
      h("p", { className: "lede" }, command.synopsis),
      h("p", null, command.description),
      command.options.length
        ? [
            h("h2", null, strings.options),
            h(
              "dl",
              { className: "options" },
              command.options.map((o) => [h("dt", null, h("code", null, o.flag)), h("dd", null, o.description)]),
            ),
          ]
        : null,
      h("h2", null, strings.examples),
      command.examples.map((example) => [
        h("p", null, example.description),
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
                h("p", null, r.summary),
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
  localStorage.setItem("lang", state.lang);
  applyChrome();
  if (!notice.hidden) showNotice(notice.dataset.reason);
  render({ moveFocus: false });
});

document.getElementById("theme-toggle").addEventListener("click", () => {
  const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  localStorage.setItem("theme", next);
  applyChrome();
});

// Following an anchor (the skip link, a heading's #) also fires popstate: the view stays as it is.
let renderedAddress = "";
window.addEventListener("popstate", () => {
  if (location.pathname + location.search !== renderedAddress) render({ moveFocus: false });
});

// ---- start --------------------------------------------------------------------------------

document.documentElement.dataset.theme = initialTheme();
applyChrome();

// Where a sign-in link that no longer works lands (see GET /session): say why, then tidy the URL.
const linkOutcome = new URLSearchParams(location.search).get("session");
if (linkOutcome === "expired" || linkOutcome === "invalid") {
  showNotice(linkOutcome === "expired" ? "sessionExpired" : "sessionInvalid");
  history.replaceState(null, "", location.pathname);
}

try {
  state.session = await api("/v1/session");
} catch (error) {
  noteProblem(error);
}
await render({ moveFocus: false });
