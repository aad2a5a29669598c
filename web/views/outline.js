// @ts-check
// The course map: every lesson with its place, what is done, the lesson last opened, and the way back in.
import { courseOutline, lastLesson, lessonsInOrder, lessonsRead, resumeTarget } from "../course.js";
import { h, inlineMarkdown, progressBar } from "../render.js";

/**
 * @param {import("../types/page.js").PageContext} context
 * @returns {Promise<import("../types/page.js").Page>}
 */
export async function outlineView({ lang, strings, progress: progressOf }) {
  const outline = await courseOutline(lang);
  const progress = await progressOf();
  const lessons = lessonsInOrder(outline);
  const read = lessonsRead();
  const byLesson = new Map((progress?.lessons ?? []).map((lesson) => [lesson.lesson, lesson]));
  const resume = resumeTarget(lessons, progress);
  const current = lastLesson();
  const readCount = lessons.filter((lesson) => read.has(lesson.slug) || byLesson.get(lesson.slug)?.completed).length;
  /** @param {import("../course.js").PlacedLesson} lesson */
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
      resume
        ? h(
            "section",
            { className: "resume", "aria-labelledby": "resume-title" },
            h("h2", { id: "resume-title" }, resume.started ? strings.resume : strings.startCourse),
            h(
              "a",
              { className: "button-link primary", href: `/lessons/${resume.lesson.slug}` },
              `${strings.lessonOf(resume.lesson.position, lessons.length)}: ${resume.lesson.title} →`,
            ),
          )
        : null,
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
