import { z } from "zod";
import { LocalizedTextSchema } from "../schemas/language.js";
import { LessonSourceSchema } from "./blocks.js";

/** The shapes of the files under content/, as authors write them. */

const Slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "expected a lowercase slug such as modo-interactivo");

const COMMAND_CATEGORIES = ["container", "image", "network", "volume", "system", "compose"] as const;
export const CommandCategorySchema = z.enum(COMMAND_CATEGORIES);
export type CommandCategory = z.infer<typeof CommandCategorySchema>;

export const ModuleFileSchema = z
  .array(z.strictObject({ slug: Slug, title: LocalizedTextSchema }))
  .min(1)
  .refine((modules) => new Set(modules.map((m) => m.slug)).size === modules.length, "module slugs must be unique");

export const LessonFileSchema = z.strictObject({
  slug: Slug,
  /** 0 is the lesson before the course proper (installing Docker), so the lessons after it keep their numbers. */
  order: z.number().int().nonnegative(),
  module: Slug,
  /** The provenance of the lesson's blocks unless a marker in es.md/en.md says otherwise. */
  source: LessonSourceSchema,
  minutes: z.number().int().min(1).max(240),
  title: LocalizedTextSchema,
  summary: LocalizedTextSchema,
  objectives: z.strictObject({ es: z.array(z.string().min(1)).min(1), en: z.array(z.string().min(1)).min(1) }),
  commands: z.array(Slug),
  exercises: z.array(Slug),
});
export type LessonFile = z.infer<typeof LessonFileSchema>;

export const CommandFileSchema = z.strictObject({
  command: z.string().regex(/^docker( [a-z-]+){1,2}$/, "expected e.g. `docker run` or `docker container prune`"),
  category: CommandCategorySchema,
  synopsis: z.string().startsWith("docker "),
  description: LocalizedTextSchema,
  options: z.array(z.strictObject({ flag: z.string().min(2), description: LocalizedTextSchema })),
  examples: z
    .array(
      z.strictObject({
        description: LocalizedTextSchema,
        command: z
          .string()
          .startsWith("docker ")
          .refine(
            (command) => !/\{\{\s*[a-z_]+\s*\}\}/.test(command),
            "placeholders are written <like_this>, not {{like_this}}",
          ),
      }),
    )
    .min(3)
    .max(8),
  lessons: z.array(Slug),
  reference: z.url().startsWith("https://docs.docker.com/"),
});
export type CommandFile = z.infer<typeof CommandFileSchema>;
