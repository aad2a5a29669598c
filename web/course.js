// @ts-check
// The way through the course: where each lesson stands in it, what this browser has read, where to resume.
import { api } from "./api.js";
import { savedValue, saveValue } from "./saved.js";

/**
 * @typedef {import("./api.js").CourseOutline} CourseOutline
 * @typedef {CourseOutline["modules"][number]} Module
 * @typedef {Module["lessons"][number] & { module: Module, lastOfModule: boolean, position: number }} PlacedLesson
 */

/** @type {Map<string, Promise<CourseOutline>>} */
const outlines = new Map();

/**
 * The outline in a language, fetched once per page load (it is the same for every learner).
 * @param {string} lang
 * @returns {Promise<CourseOutline>}
 */
export function courseOutline(lang) {
  let pending = outlines.get(lang);
  if (!pending) {
    pending = api("/v1/lessons", { lang });
    pending.catch(() => outlines.delete(lang));
    outlines.set(lang, pending);
  }
  return pending;
}

/**
 * Every lesson in course order, with its place (1-based), its module and the module's own lessons.
 * @param {CourseOutline} outline
 * @returns {PlacedLesson[]}
 */
export function lessonsInOrder(outline) {
  return outline.modules
    .flatMap((module) =>
      module.lessons.map((lesson) => ({ ...lesson, module, lastOfModule: lesson === module.lessons.at(-1) })),
    )
    .map((lesson, index) => ({ ...lesson, position: index + 1 }));
}

// Reading is remembered by this browser: the service records exercises passed, not pages read.
const READ = "lessonsRead";
const LAST = "lastLesson";

/** @returns {Set<string>} */
export function lessonsRead() {
  try {
    const list = JSON.parse(savedValue(READ) ?? "[]");
    return new Set(Array.isArray(list) ? list.filter((slug) => typeof slug === "string") : []);
  } catch {
    return new Set();
  }
}

/** @param {string} slug */
export function markRead(slug) {
  const read = lessonsRead();
  if (read.has(slug)) return;
  read.add(slug);
  saveValue(READ, JSON.stringify([...read]));
}

export const lastLesson = () => savedValue(LAST);
export const rememberLesson = (/** @type {string} */ slug) => saveValue(LAST, slug);

/**
 * Where «continue» leads: the lesson last opened, unless it is done (read, and its exercises passed
 * where the progress says so), then the first lesson after it that is not; the first lesson for a newcomer.
 * @param {PlacedLesson[]} lessons in course order
 * @param {import("./api.js").Progress | null} progress
 * @returns {{ lesson: PlacedLesson, started: boolean } | null} null for a course without lessons
 */
export function resumeTarget(lessons, progress) {
  const read = lessonsRead();
  const completed = new Set((progress?.lessons ?? []).filter((entry) => entry.completed).map((entry) => entry.lesson));
  /** @param {PlacedLesson} lesson */
  const done = (lesson) =>
    read.has(lesson.slug) && (lesson.exerciseCount === 0 || !progress || completed.has(lesson.slug));
  const lastOpened = lessons.find((lesson) => lesson.slug === lastLesson());
  if (!lastOpened) return lessons[0] ? { lesson: lessons[0], started: false } : null;
  const next = lessons.slice(lessons.indexOf(lastOpened)).find((lesson) => !done(lesson));
  return { lesson: next ?? lastOpened, started: true };
}
