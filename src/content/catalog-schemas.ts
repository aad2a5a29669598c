import { z } from "zod";
import { LanguageSchema } from "../schemas/language.js";
import { BlockSchema, LessonSourceSchema } from "./blocks.js";
import { CommandCategorySchema } from "./content-files.js";
import { ExerciseDetailSchema } from "./exercise-views.js";

/** What the content API answers: one schema per concept, in the language the client negotiated. */

const LessonLinkSchema = z.object({ slug: z.string(), title: z.string(), href: z.string() }).meta({ id: "LessonLink" });

const LessonSummarySchema = z
  .object({
    slug: z.string(),
    order: z.number().int(),
    title: z.string(),
    summary: z.string(),
    minutes: z.number().int().describe("Estimated time to complete, in minutes"),
    exerciseCount: z.number().int(),
    href: z.string(),
  })
  .meta({ id: "LessonSummary" });

export const CourseOutlineSchema = z
  .object({
    language: LanguageSchema,
    totalMinutes: z.number().int(),
    lessonCount: z.number().int(),
    modules: z.array(z.object({ slug: z.string(), title: z.string(), lessons: z.array(LessonSummarySchema) })),
  })
  .meta({ id: "CourseOutline" });

export const LessonSchema = z
  .object({
    slug: z.string(),
    order: z.number().int(),
    language: LanguageSchema,
    module: z.object({ slug: z.string(), title: z.string() }),
    title: z.string(),
    summary: z.string(),
    minutes: z.number().int(),
    objectives: z.array(z.string()),
    source: LessonSourceSchema.describe(
      "tutorial: made from the original tutorial «Aprendiendo Docker»; added: written for this course. Each block's provenance says which of its blocks are original, added or corrected",
    ),
    blocks: z.array(BlockSchema).describe("The lesson body as typed blocks, in reading order"),
    markdown: z.string().describe("The same body as the original Markdown"),
    commands: z.array(z.object({ slug: z.string(), command: z.string(), synopsis: z.string(), href: z.string() })),
    exercises: z
      .array(ExerciseDetailSchema.extend({ href: z.string() }).meta({ id: "LessonExercise" }))
      .describe(
        "The lesson's exercises, each as GET /v1/exercises/{id} serves it (href is that address): a page shows them without asking for each",
      ),
    previous: LessonLinkSchema.nullable(),
    next: LessonLinkSchema.nullable(),
  })
  .meta({ id: "Lesson" });

const CommandSummarySchema = z
  .object({
    slug: z.string(),
    command: z.string(),
    category: CommandCategorySchema,
    synopsis: z.string(),
    description: z.string(),
    href: z.string(),
  })
  .meta({ id: "CommandSummary" });

export const CommandListSchema = z
  .object({ language: LanguageSchema, items: z.array(CommandSummarySchema) })
  .meta({ id: "CommandList" });

export const CommandSchema = z
  .object({
    slug: z.string(),
    command: z.string(),
    category: CommandCategorySchema,
    language: LanguageSchema,
    synopsis: z.string(),
    description: z.string(),
    options: z.array(z.object({ flag: z.string(), description: z.string() })),
    examples: z.array(
      z.object({
        description: z.string(),
        command: z.string().describe("Placeholders are written <like_this>"),
      }),
    ),
    lessons: z.array(LessonLinkSchema),
    reference: z.string().describe("Docker's official reference page"),
  })
  .meta({ id: "Command" });

/** What the search index stores of each document, and each result starts from. */
export const SearchHitSchema = z.object({ kind: z.enum(["lesson", "command"]), slug: z.string() });

export const SearchResultsSchema = z
  .object({
    language: LanguageSchema,
    query: z.string(),
    results: z.array(
      SearchHitSchema.extend({
        title: z.string(),
        summary: z.string(),
        score: z.number().describe("Relevance; results are sorted by it, highest first"),
        href: z.string(),
      }),
    ),
  })
  .meta({ id: "SearchResults" });

export type CourseOutline = z.infer<typeof CourseOutlineSchema>;
export type LessonView = z.infer<typeof LessonSchema>;
export type CommandView = z.infer<typeof CommandSchema>;
export type CommandSummary = z.infer<typeof CommandSummarySchema>;
export type SearchResults = z.infer<typeof SearchResultsSchema>;
