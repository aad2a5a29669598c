import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse } from "yaml";

/**
 * A copy of content/ without its question exercises, for the tests of completing a lesson by
 * reading it: since lessons 01–04 got questions, the real course has no lesson without exercises,
 * and these tests need some (que-es-docker first).
 */
export async function contentWithoutQuestions(): Promise<{ dir: string; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(os.tmpdir(), "content-without-questions-"));
  const dir = path.join(root, "content");
  await cp(path.join(import.meta.dirname, "../../content"), dir, { recursive: true });
  const questions = new Set<string>();
  for (const name of await readdir(path.join(dir, "exercises"))) {
    const file = path.join(dir, "exercises", name);
    const exercise = parse(await readFile(file, "utf8"));
    if (exercise.kind !== "question") continue;
    questions.add(exercise.id);
    await rm(file);
  }
  for (const lesson of await readdir(path.join(dir, "lessons"))) {
    const file = path.join(dir, "lessons", lesson, "lesson.yaml");
    const text = await readFile(file, "utf8");
    const listed: string[] = parse(text).exercises;
    const kept = listed.filter((id) => !questions.has(id));
    if (kept.length === listed.length) continue;
    await writeFile(file, text.replace(/^exercises: .*$/m, `exercises: [${kept.join(", ")}]`));
  }
  return { dir, remove: () => rm(root, { recursive: true, force: true }) };
}
