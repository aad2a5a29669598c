import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import type { z } from "zod";
import { type Exercise, ExerciseSchema } from "../grading/exercise.js";
import { type Language, SUPPORTED_LANGUAGES } from "../schemas/language.js";
import type { Block } from "./blocks.js";
import {
  type CommandFile,
  CommandFileSchema,
  type LessonFile,
  LessonFileSchema,
  ModuleFileSchema,
} from "./content-files.js";
import { dockerCommandSlugs, slugForCommand } from "./docker-commands.js";
import { MarkdownError, markdownToBlocks, type ProvenanceMarker } from "./markdown-to-blocks.js";

interface LessonBody {
  markdown: string;
  blocks: Block[];
}
export type Lesson = LessonFile & { body: Record<Language, LessonBody> };
export type Command = CommandFile & { slug: string };
type CourseModule = z.infer<typeof ModuleFileSchema>[number];

export interface Curriculum {
  modules: CourseModule[];
  /** In course order. */
  lessons: Lesson[];
  commands: Command[];
  exercises: ReadonlyMap<string, Exercise>;
  /** File name → SVG source. */
  diagrams: ReadonlyMap<string, string>;
}

/** Every problem found in content/, each naming the file and the field, so an author can fix them all at once. */
export class ContentError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid content (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ContentError";
  }
}

const DIAGRAM_URL_PREFIX = "/v1/diagrams/";

/** Reads and validates the whole course from content/; throws ContentError listing every problem. */
export async function loadCurriculum(folder: string): Promise<Curriculum> {
  // Image paths in lessons are resolved to absolute paths, so the folder must be absolute too.
  const contentDir = path.resolve(folder);
  const problems: string[] = [];
  const relative = (file: string) => path.relative(process.cwd(), file) || file;
  const parse = async <T extends z.ZodType>(file: string, schema: T): Promise<z.infer<T> | undefined> => {
    let data: unknown;
    try {
      data = YAML.parse(await readFile(file, "utf8"));
    } catch (error) {
      problems.push(`${relative(file)}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      return undefined;
    }
    const result = schema.safeParse(data);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      problems.push(`${relative(file)}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    return undefined;
  };

  const diagramsDir = path.join(contentDir, "diagrams");
  const diagrams = new Map<string, string>();
  for (const name of await listDir(diagramsDir)) {
    if (!name.endsWith(".svg")) continue;
    const svg = await readFile(path.join(diagramsDir, name), "utf8");
    const problem = checkSvg(svg);
    if (problem) problems.push(`${relative(path.join(diagramsDir, name))}: ${problem}`);
    diagrams.set(name, svg);
  }

  const modules = (await parse(path.join(contentDir, "modules.yaml"), ModuleFileSchema)) ?? [];

  const commands: Command[] = [];
  const commandsDir = path.join(contentDir, "commands");
  for (const name of (await listDir(commandsDir)).filter((n) => n.endsWith(".yaml"))) {
    const file = path.join(commandsDir, name);
    const command = await parse(file, CommandFileSchema);
    if (!command) continue;
    const slug = name.replace(/\.yaml$/, "");
    if (slugForCommand(command.command) !== slug) {
      problems.push(
        `${relative(file)}: command: "${command.command}" belongs in ${slugForCommand(command.command)}.yaml`,
      );
    }
    commands.push({ ...command, slug });
  }
  commands.sort((a, b) => a.slug.localeCompare(b.slug));

  const exercises = new Map<string, Exercise>();
  const exercisesDir = path.join(contentDir, "exercises");
  for (const name of (await listDir(exercisesDir)).filter((n) => n.endsWith(".yaml"))) {
    const file = path.join(exercisesDir, name);
    const exercise = await parse(file, ExerciseSchema);
    if (!exercise) continue;
    if (`${exercise.id}.yaml` !== name)
      problems.push(`${relative(file)}: id: "${exercise.id}" must match the file name`);
    if (exercise.kind === "container" && exercise.app) {
      const app = path.join(contentDir, "app", exercise.app);
      if (!(await stat(app).catch(() => undefined))?.isDirectory())
        problems.push(`${relative(file)}: app: "${exercise.app}" is not a folder in ${path.join(contentDir, "app")}`);
    }
    exercises.set(exercise.id, exercise);
  }

  const lessons: Lesson[] = [];
  const lessonsDir = path.join(contentDir, "lessons");
  for (const folder of await listDir(lessonsDir)) {
    const dir = path.join(lessonsDir, folder);
    const meta = await parse(path.join(dir, "lesson.yaml"), LessonFileSchema);
    if (!meta) continue;
    if (!folder.endsWith(`-${meta.slug}`)) {
      problems.push(
        `${relative(path.join(dir, "lesson.yaml"))}: slug: "${meta.slug}" must match the folder name ${folder}`,
      );
    }
    // Filled for every language by the loop that follows, before anything reads it.
    const body = {} as Record<Language, LessonBody>;
    const markers = new Map<string, ProvenanceMarker[]>();
    for (const language of SUPPORTED_LANGUAGES) {
      const file = path.join(dir, `${language}.md`);
      let markdown = "";
      try {
        markdown = await readFile(file, "utf8");
      } catch {
        problems.push(`${relative(file)}: missing (every lesson is written in ${SUPPORTED_LANGUAGES.join(" and ")})`);
      }
      let blocks: Block[] = [];
      try {
        const parsed = markdownToBlocks(markdown, {
          source: meta.source,
          resolveImage: (href) => {
            const target = path.resolve(dir, href);
            const name = path.basename(target);
            if (path.dirname(target) !== diagramsDir || !diagrams.has(name)) {
              throw new MarkdownError(`image ${href} is not a diagram in content/diagrams`);
            }
            return DIAGRAM_URL_PREFIX + name;
          },
        });
        blocks = parsed.blocks;
        markdown = parsed.markdown;
        markers.set(relative(file), parsed.markers);
      } catch (error) {
        if (!(error instanceof MarkdownError)) throw error;
        problems.push(`${relative(file)}: ${error.message}`);
      }
      body[language] = { markdown, blocks };
      checkCommandsUsed(meta, blocks, relative(file), problems);
    }
    checkSameMarkers(markers, problems);
    lessons.push({ ...meta, body });
  }
  lessons.sort((a, b) => a.order - b.order);

  checkLinks({ modules, lessons, commands, exercises }, problems);
  if (problems.length > 0) throw new ContentError(problems);
  return { modules, lessons, commands, exercises, diagrams };
}

function checkCommandsUsed(lesson: LessonFile, blocks: Block[], file: string, problems: string[]) {
  for (const block of blocks) {
    if (block.type !== "code") continue;
    for (const slug of dockerCommandSlugs(block.code, block.language)) {
      if (!lesson.commands.includes(slug)) {
        problems.push(
          `${file}: a code block runs "docker ${slug.replace("-", " ")}" but lesson.yaml's commands does not list "${slug}"`,
        );
      }
    }
  }
}

/**
 * Both languages must mark the same blocks the same way: a teacher reading either must be told the same thing.
 * Markers are matched by the block they mark too, since a marker moved to a neighbouring block keeps the kinds in order.
 */
function checkSameMarkers(markersByFile: Map<string, ProvenanceMarker[]>, problems: string[]) {
  const [first, ...others] = [...markersByFile];
  if (!first) return;
  const [file, markers] = first;
  const name = path.basename(file);
  const describe = (marker: ProvenanceMarker) => `"${marker.provenance.source}" on block ${marker.block + 1}`;
  for (const [otherFile, otherMarkers] of others) {
    for (let index = 0; index < Math.max(markers.length, otherMarkers.length); index++) {
      const mine = markers[index];
      const theirs = otherMarkers[index];
      if (mine?.provenance.source === theirs?.provenance.source && mine?.block === theirs?.block) continue;
      const expected = mine ? `${name} line ${mine.line} has ${describe(mine)}` : `${name} has no such marker`;
      problems.push(
        theirs
          ? `${otherFile}: line ${theirs.line}: provenance marker ${describe(theirs)} does not match: ${expected}`
          : `${otherFile}: provenance marker missing: ${expected}`,
      );
      break;
    }
  }
}

function checkLinks(content: Pick<Curriculum, "modules" | "lessons" | "commands" | "exercises">, problems: string[]) {
  const moduleSlugs = new Set(content.modules.map((m) => m.slug));
  const commandsBySlug = new Map(content.commands.map((c) => [c.slug, c]));
  const lessonsBySlug = new Map(content.lessons.map((l) => [l.slug, l]));
  const seenOrders = new Map<number, string>();

  for (const lesson of content.lessons) {
    const where = `lesson ${lesson.slug}`;
    if (!moduleSlugs.has(lesson.module)) problems.push(`${where}: module: "${lesson.module}" is not in modules.yaml`);
    const clash = seenOrders.get(lesson.order);
    if (clash) problems.push(`${where}: order: ${lesson.order} is also the order of ${clash}`);
    seenOrders.set(lesson.order, lesson.slug);
    for (const slug of lesson.commands) {
      const command = commandsBySlug.get(slug);
      if (!command) problems.push(`${where}: commands: "${slug}" has no entry in content/commands`);
      else if (!command.lessons.includes(lesson.slug)) {
        problems.push(`command ${slug}: lessons: must list "${lesson.slug}", which uses it`);
      }
    }
    for (const id of lesson.exercises) {
      const exercise = content.exercises.get(id);
      if (!exercise) problems.push(`${where}: exercises: "${id}" is not in content/exercises`);
      else if (exercise.lesson !== lesson.slug) {
        problems.push(`${where}: exercises: "${id}" belongs to lesson "${exercise.lesson}"`);
      }
    }
  }
  for (const command of content.commands) {
    for (const slug of command.lessons) {
      const lesson = lessonsBySlug.get(slug);
      if (!lesson) problems.push(`command ${command.slug}: lessons: "${slug}" is not a lesson`);
      else if (!lesson.commands.includes(command.slug)) {
        problems.push(`lesson ${slug}: commands: must list "${command.slug}", whose entry links to it`);
      }
    }
  }
  for (const exercise of content.exercises.values()) {
    const lesson = lessonsBySlug.get(exercise.lesson);
    if (!lesson) problems.push(`exercise ${exercise.id}: lesson: "${exercise.lesson}" is not a lesson`);
    else if (!lesson.exercises.includes(exercise.id)) {
      problems.push(`lesson ${lesson.slug}: exercises: must list "${exercise.id}", which links to it`);
    }
  }
}

/** Diagrams are served as they are, so they must be inert pictures. */
function checkSvg(svg: string): string | undefined {
  if (!/<svg[\s>]/.test(svg)) return "not an SVG document";
  if (/<script|\son[a-z]+\s*=|javascript:/i.test(svg)) return "scripts and event handlers are not allowed in diagrams";
  if (/(?:href|src)\s*=\s*["']https?:/i.test(svg)) return "diagrams may not reference external resources";
  return undefined;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
