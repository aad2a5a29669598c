import type { Lesson } from "../content/load-curriculum.js";
import type { Language } from "../schemas/language.js";
import { type WebAsset, webAssetOf } from "./web-assets.js";

const LOADING: Record<Language, string> = { es: "Cargando…", en: "Loading…" };
const MAIN = '<main id="main" tabindex="-1"><p class="loading">Cargando…</p></main>';

/**
 * The page for each lesson, in each language, with the lesson's title already in it: the learner reads
 * where they are at the first paint, as fast as from a static page, while the script fetches the lesson
 * and replaces `main` with all of it. Made once at start-up from index.html and the course.
 */
export function lessonPages(
  index: Buffer,
  lessons: readonly Lesson[],
): ReadonlyMap<string, Readonly<Record<Language, WebAsset>>> {
  const html = index.toString("utf8");
  if (!html.includes(MAIN)) throw new Error(`web/index.html has no ${MAIN} for a lesson's title to go in`);
  const page = (lesson: Lesson, language: Language) =>
    webAssetOf(
      Buffer.from(
        html
          .replace('<html lang="es">', `<html lang="${language}">`)
          .replace(
            "<title>Aprendiendo Docker</title>",
            `<title>${text(lesson.title[language])} · Aprendiendo Docker</title>`,
          )
          .replace(
            MAIN,
            `<main id="main" tabindex="-1"><article class="lesson"><h1 elementtiming="lesson-title">${text(lesson.title[language])}</h1>` +
              `<p class="loading">${LOADING[language]}</p></article></main>`,
          ),
      ),
      "text/html; charset=utf-8",
    );
  return new Map(lessons.map((lesson) => [lesson.slug, { es: page(lesson, "es"), en: page(lesson, "en") }]));
}

function text(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
