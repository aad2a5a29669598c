// The way through the course: where each lesson stands in it, what this browser has read, where to resume.
import { api } from "./api.js";
import { savedValue, saveValue } from "./saved.js";

const outlines = new Map();

/** The outline in a language, fetched once per page load (it is the same for every learner). */
export function courseOutline(lang) {
  if (!outlines.has(lang)) {
    const pending = api("/v1/lessons", { lang });
    pending.catch(() => outlines.delete(lang));
    outlines.set(lang, pending);
  }
  return outlines.get(lang);
}

/** Every lesson in course order, with its place (1-based), its module and the module's own lessons. */
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

export function lessonsRead() {
  try {
    const list = JSON.parse(savedValue(READ) ?? "[]");
    return new Set(Array.isArray(list) ? list.filter((slug) => typeof slug === "string") : []);
  } catch {
    return new Set();
  }
}

export function markRead(slug) {
  const read = lessonsRead();
  if (read.has(slug)) return;
  read.add(slug);
  saveValue(READ, JSON.stringify([...read]));
}

export const lastLesson = () => savedValue(LAST);
export const rememberLesson = (slug) => saveValue(LAST, slug);

/**
 * Where «continue» leads: the lesson last opened, unless it is done (read, and its exercises passed
 * where the progress says so), then the first lesson after it that is not; the first lesson for a newcomer.
 */
export function resumeTarget(lessons, progress) {
  const read = lessonsRead();
  const completed = new Set((progress?.lessons ?? []).filter((entry) => entry.completed).map((entry) => entry.lesson));
  const done = (lesson) =>
    read.has(lesson.slug) && (lesson.exerciseCount === 0 || !progress || completed.has(lesson.slug));
  const last = lessons.findIndex((lesson) => lesson.slug === lastLesson());
  if (last === -1) return { lesson: lessons[0], started: false };
  const next = lessons.slice(last).find((lesson) => !done(lesson));
  return { lesson: next ?? lessons[last], started: true };
}
