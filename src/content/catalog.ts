import MiniSearch from "minisearch";
import { jsonRepresentation, type Representation, representationOf } from "../http/representation.js";
import { type Language, SUPPORTED_LANGUAGES } from "../schemas/language.js";
import {
  CommandSchema,
  type CommandSummary,
  type CommandView,
  type CourseOutline,
  CourseOutlineSchema,
  LessonSchema,
  type LessonView,
  SearchHitSchema,
  type SearchResults,
} from "./catalog-schemas.js";
import type { CommandCategory } from "./content-files.js";
import { ExerciseDetailSchema, ExerciseListSchema, exerciseDetail, exerciseSummary } from "./exercise-views.js";
import type { Command, Curriculum, Lesson } from "./load-curriculum.js";

type PerLanguage<T> = Record<Language, T>;

/**
 * The content API's answers, built and serialized once at start-up: a request only picks one.
 * Every view is checked against its schema here, so a content mistake stops start-up, not a request.
 */
export interface ContentCatalog {
  outline: PerLanguage<Representation>;
  lessons: ReadonlyMap<string, PerLanguage<Representation>>;
  commandSummaries: PerLanguage<CommandSummary[]>;
  commands: ReadonlyMap<string, PerLanguage<Representation>>;
  /** In course order: lessons in order, each lesson's exercises as it lists them. */
  exerciseList: PerLanguage<Representation>;
  exercises: ReadonlyMap<string, PerLanguage<Representation>>;
  diagrams: ReadonlyMap<string, Representation>;
  search(query: string, language: Language, limit: number): SearchResults;
}

export function buildContentCatalog(curriculum: Curriculum): ContentCatalog {
  const lessonsBySlug = new Map(curriculum.lessons.map((lesson) => [lesson.slug, lesson]));
  const commandsBySlug = new Map(curriculum.commands.map((command) => [command.slug, command]));
  const byLanguage = <T>(build: (language: Language) => T): PerLanguage<T> => ({ es: build("es"), en: build("en") });

  const outline = byLanguage((language) =>
    jsonRepresentation(CourseOutlineSchema.parse(outlineView(curriculum, language))),
  );

  const lessons = new Map(
    curriculum.lessons.map((lesson, index) => [
      lesson.slug,
      byLanguage((language) =>
        jsonRepresentation(LessonSchema.parse(lessonView(curriculum, commandsBySlug, lesson, index, language))),
      ),
    ]),
  );

  const commands = new Map(
    curriculum.commands.map((command) => [
      command.slug,
      byLanguage((language) => jsonRepresentation(CommandSchema.parse(commandView(command, lessonsBySlug, language)))),
    ]),
  );

  const inCourseOrder = curriculum.lessons.flatMap((lesson) =>
    lesson.exercises.flatMap((id) => curriculum.exercises.get(id) ?? []),
  );
  const exerciseList = byLanguage((language) =>
    jsonRepresentation(
      ExerciseListSchema.parse({
        language,
        items: inCourseOrder.map((exercise) => exerciseSummary(exercise, language)),
      }),
    ),
  );
  const exercises = new Map(
    inCourseOrder.map((exercise) => [
      exercise.id,
      byLanguage((language) => jsonRepresentation(ExerciseDetailSchema.parse(exerciseDetail(exercise, language)))),
    ]),
  );

  const commandSummaries = byLanguage((language) =>
    curriculum.commands.map((command) => commandSummary(command, language)),
  );

  const diagrams = new Map(
    [...curriculum.diagrams].map(([name, svg]) => [name, representationOf(svg, "image/svg+xml; charset=utf-8")]),
  );

  const index = buildSearchIndex(curriculum);
  const search = (query: string, language: Language, limit: number): SearchResults => ({
    language,
    query,
    results: index
      .search(query, { prefix: (term) => term.length >= 3, fuzzy: (term) => (term.length >= 6 ? 0.2 : false) })
      .slice(0, limit)
      .map((hit) => {
        const { kind, slug } = SearchHitSchema.parse(hit);
        if (kind === "lesson") {
          const lesson = linked(lessonsBySlug, slug);
          return {
            kind,
            slug,
            title: lesson.title[language],
            summary: lesson.summary[language],
            score: round(hit.score),
            href: lessonHref(slug),
          };
        }
        const command = linked(commandsBySlug, slug);
        return {
          kind,
          slug,
          title: command.command,
          summary: command.description[language],
          score: round(hit.score),
          href: commandHref(slug),
        };
      }),
  });

  return { outline, lessons, commandSummaries, commands, exerciseList, exercises, diagrams, search };
}

/** Filters the command list: `q` matches the command, its synopsis or description in the served language. */
export function filterCommands(
  summaries: CommandSummary[],
  filter: { q?: string; category?: CommandCategory },
): CommandSummary[] {
  const needle = filter.q ? fold(filter.q) : undefined;
  return summaries.filter(
    (summary) =>
      (!filter.category || summary.category === filter.category) &&
      (!needle || fold(`${summary.command} ${summary.synopsis} ${summary.description}`).includes(needle)),
  );
}

const lessonHref = (slug: string) => `/v1/lessons/${slug}`;
const commandHref = (slug: string) => `/v1/commands/${slug}`;
const exerciseHref = (id: string) => `/v1/exercises/${id}`;

function outlineView(curriculum: Curriculum, language: Language): CourseOutline {
  return {
    language,
    totalMinutes: curriculum.lessons.reduce((sum, lesson) => sum + lesson.minutes, 0),
    lessonCount: curriculum.lessons.length,
    modules: curriculum.modules.map((module) => ({
      slug: module.slug,
      title: module.title[language],
      lessons: curriculum.lessons
        .filter((lesson) => lesson.module === module.slug)
        .map((lesson) => ({
          slug: lesson.slug,
          order: lesson.order,
          title: lesson.title[language],
          summary: lesson.summary[language],
          minutes: lesson.minutes,
          exerciseCount: lesson.exercises.length,
          href: lessonHref(lesson.slug),
        })),
    })),
  };
}

/** A lesson or command another one links to: the loader refuses content whose links lead nowhere (checkLinks). */
function linked<T>(bySlug: ReadonlyMap<string, T>, slug: string): T {
  const found = bySlug.get(slug);
  if (found === undefined) throw new Error(`the catalog has nothing at ${slug}, which the curriculum links to`);
  return found;
}

function lessonView(
  curriculum: Curriculum,
  commandsBySlug: Map<string, Command>,
  lesson: Lesson,
  index: number,
  language: Language,
): LessonView {
  const link = (other: Lesson | undefined) =>
    other ? { slug: other.slug, title: other.title[language], href: lessonHref(other.slug) } : null;
  const module = curriculum.modules.find((m) => m.slug === lesson.module);
  return {
    slug: lesson.slug,
    order: lesson.order,
    language,
    module: { slug: lesson.module, title: module?.title[language] ?? lesson.module },
    title: lesson.title[language],
    summary: lesson.summary[language],
    minutes: lesson.minutes,
    objectives: lesson.objectives[language],
    source: lesson.source,
    blocks: lesson.body[language].blocks,
    markdown: lesson.body[language].markdown,
    commands: lesson.commands.map((slug) => {
      const command = linked(commandsBySlug, slug);
      return { slug, command: command.command, synopsis: command.synopsis, href: commandHref(slug) };
    }),
    // The loader refuses a lesson that lists an exercise it does not have (checkLinks).
    exercises: lesson.exercises.flatMap((id) => {
      const exercise = curriculum.exercises.get(id);
      return exercise ? [{ ...exerciseDetail(exercise, language), href: exerciseHref(id) }] : [];
    }),
    previous: link(curriculum.lessons[index - 1]),
    next: link(curriculum.lessons[index + 1]),
  };
}

function commandSummary(command: Command, language: Language): CommandSummary {
  return {
    slug: command.slug,
    command: command.command,
    category: command.category,
    synopsis: command.synopsis,
    description: command.description[language],
    href: commandHref(command.slug),
  };
}

function commandView(command: Command, lessonsBySlug: Map<string, Lesson>, language: Language): CommandView {
  return {
    ...commandSummary(command, language),
    language,
    options: command.options.map((option) => ({ flag: option.flag, description: option.description[language] })),
    examples: command.examples.map((example) => ({
      description: example.description[language],
      command: example.command,
    })),
    lessons: command.lessons.map((slug) => {
      const lesson = linked(lessonsBySlug, slug);
      return { slug, title: lesson.title[language], href: lessonHref(slug) };
    }),
    reference: command.reference,
  };
}

/** Both languages are indexed together, so "contenedor" and "container" find the same lessons. */
function buildSearchIndex(curriculum: Curriculum) {
  const index = new MiniSearch({
    idField: "id",
    fields: ["title", "summary", "objectives", "body", "command"],
    storeFields: ["kind", "slug"],
    processTerm: (term) => {
      const folded = fold(term);
      // A plural and its singular should meet: "contenedores"/"contenedor", "containers"/"container".
      return folded.length > 3 && folded.endsWith("s") ? folded.slice(0, -1) : folded;
    },
    searchOptions: { boost: { title: 4, command: 4, summary: 2, objectives: 1.5 }, combineWith: "AND" },
  });
  const both = (text: Record<Language, string>) => SUPPORTED_LANGUAGES.map((l) => text[l]).join(" \n ");
  index.addAll([
    ...curriculum.lessons.map((lesson) => ({
      id: `lesson:${lesson.slug}`,
      kind: "lesson",
      slug: lesson.slug,
      title: both(lesson.title),
      summary: both(lesson.summary),
      objectives: SUPPORTED_LANGUAGES.flatMap((l) => lesson.objectives[l]).join(" \n "),
      body: SUPPORTED_LANGUAGES.map((l) => lesson.body[l].markdown).join(" \n "),
      command: "",
    })),
    ...curriculum.commands.map((command) => ({
      id: `command:${command.slug}`,
      kind: "command",
      slug: command.slug,
      title: command.command,
      summary: both(command.description),
      objectives: "",
      body: [
        ...command.options.map((o) => `${o.flag} ${both(o.description)}`),
        ...command.examples.map((e) => `${e.command} ${both(e.description)}`),
      ].join(" \n "),
      command: command.command,
    })),
  ]);
  return index;
}

function fold(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

function round(score: number): number {
  return Math.round(score * 1000) / 1000;
}
