// @ts-check
// A lesson: its text, its commands beside it, its exercises under it, and the way on once they pass.
import { api } from "../api.js";
import { courseOutline, lessonsInOrder, markRead, rememberLesson } from "../course.js";
import { exercisePanel } from "../exercise-panel.js";
import { h, inlineMarkdown, pageHref, progressBar, renderBlocks } from "../render.js";

/**
 * @typedef {import("../types/page.js").PageContext} PageContext
 * @typedef {import("../api.js").Lesson} Lesson
 * @typedef {import("../api.js").Progress} Progress
 */

/**
 * Marks the lesson read once its end has been on screen: a learner who opened it and left has not read it.
 * @param {string} slug
 * @param {Element} end
 */
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
 * A lesson: its text renders from the lesson's one request, which carries its exercises too; where it
 * sits in the course, the learner's progress and each exercise's attempts fill in after, each on its
 * own. The `tools` region is where a panel beside the text (the lesson's commands; later a terminal) goes.
 * @param {PageContext} context
 * @param {string} slug
 * @returns {Promise<import("../types/page.js").Page>}
 */
export async function lessonView(context, slug) {
  const { lang, strings } = context;
  /** @type {Lesson} */
  const lesson = await api(`/v1/lessons/${encodeURIComponent(slug)}`, { lang });
  rememberLesson(lesson.slug);
  const place = h("span", { className: "place" });
  const lessonProgress = h("div", { className: "lesson-progress", id: "lesson-progress" });
  const exercisesSlot = h("div", { className: "exercise-list" });
  /** @type {Progress | null} */
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
  const outlineLoaded = courseOutline(lang).then(lessonsInOrder);
  const end = h(
    "nav",
    { className: "pager", "aria-label": `${strings.previous} / ${strings.next}` },
    lesson.previous
      ? h("a", { href: pageHref(lesson.previous.href), rel: "prev" }, `← ${lesson.previous.title}`)
      : h("span"),
    lesson.next ? h("a", { href: pageHref(lesson.next.href), rel: "next" }, `${lesson.next.title} →`) : h("span"),
  );

  /**
   * After a grade: a pass says so and points on, to the next exercise or, the lesson done, the next lesson.
   * @param {import("../api.js").Submission} submission
   * @param {HTMLElement} wayOn
   */
  const onGraded = async (submission, wayOn) => {
    progress = await context.progress();
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
      // replaceChildren writes a null as the text "null": only a summary that exists goes in.
      ...(here?.lastOfModule ? [moduleSummary(here.module, strings)] : []),
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
    progress = await context.progress();
    showLessonProgress();
    const panels = await Promise.all(
      lesson.exercises.map((exercise) =>
        exercisePanel(exercise, { ...context, onGraded }).catch((error) => {
          context.noteProblem(error);
          return context.problemMessage(error);
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

/**
 * At a module's end: what its lessons taught, as the outline sums each up.
 * @param {import("../course.js").Module} module
 * @param {import("../i18n.js").Strings} strings
 */
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
