import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import type { Block } from "../../src/content/blocks.js";
import { buildContentCatalog, type ContentCatalog } from "../../src/content/catalog.js";
import type { LessonView } from "../../src/content/catalog-schemas.js";
import { ContentError, type Curriculum, loadCurriculum } from "../../src/content/load-curriculum.js";
import { SUPPORTED_LANGUAGES } from "../../src/schemas/language.js";
import { testConfig } from "../helper.js";

const CONTENT = path.resolve("content");
let curriculum: Curriculum;
let catalog: ContentCatalog;
beforeAll(async () => {
  curriculum = await loadCurriculum(CONTENT);
  catalog = buildContentCatalog(curriculum);
});

/** The lesson exactly as the API sends it: the bytes prepared at start-up, parsed back. */
const served = (slug: string, language: "es" | "en"): LessonView => {
  const representation = catalog.lessons.get(slug)?.[language];
  if (!representation) throw new Error(`no lesson ${slug}`);
  return JSON.parse(representation.body.toString("utf8"));
};

const fold = (text: string) =>
  text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();

function blockText(block: Block): string {
  switch (block.type) {
    case "heading":
      return block.text;
    case "paragraph":
      return block.content.map((run) => run.text).join("");
    case "code":
      return block.code;
    case "image":
      return block.alt;
    case "table":
      return [block.header, ...block.rows]
        .flat(2)
        .map((run) => run.text)
        .join(" ");
    case "callout":
      return block.paragraphs
        .flat()
        .map((run) => run.text)
        .join(" ");
    case "list":
      return block.items
        .flatMap((item) => item.content)
        .map((run) => run.text)
        .join(" ");
  }
}

/** The one block of a served lesson whose text contains `passage`, accents and case aside. */
const blockWith = (slug: string, language: "es" | "en", passage: string): Block => {
  const matches = served(slug, language).blocks.filter((block) => fold(blockText(block)).includes(fold(passage)));
  expect(matches, `${slug}/${language}: "${passage}"`).toHaveLength(1);
  return matches[0] as Block;
};

describe("provenance in the served lessons", () => {
  it("is on every block of every lesson, in both languages, with a reason exactly when corrected", () => {
    for (const lesson of curriculum.lessons) {
      for (const language of SUPPORTED_LANGUAGES) {
        const view = served(lesson.slug, language);
        expect(view.source, lesson.slug).toBe(lesson.source);
        for (const [index, block] of view.blocks.entries()) {
          const where = `${lesson.slug}/${language} block ${index + 1}`;
          expect(["tutorial", "added", "corrected"], where).toContain(block.provenance?.source);
          if (block.provenance.source === "corrected") expect(block.provenance.reason, where).toMatch(/\S/);
          else expect(block.provenance, where).not.toHaveProperty("reason");
        }
        expect(view.markdown, `${lesson.slug}/${language}: markers stay out of the served text`).not.toMatch(
          /provenance/,
        );
      }
    }
  });

  it("serves the seed's own sentences as tutorial", () => {
    const seed = blockWith("que-es-docker", "es", "una filosofia de contenedores");
    expect(seed.provenance).toEqual({ source: "tutorial" });
    const inspect = blockWith(
      "ciclo-de-vida-de-un-contenedor",
      "es",
      "Para inspeccionar que proceso especifico esta ejecutando este contenedor se puede usar lo siguiente",
    );
    expect(inspect.provenance).toEqual({ source: "tutorial" });
  });

  it("serves what the course wrote as added", () => {
    expect(blockWith("ciclo-de-vida-de-un-contenedor", "es", "docker kill example2").provenance).toEqual({
      source: "added",
    });
    expect(blockWith("que-es-docker", "en", 'No more "it works on my machine"').provenance).toEqual({
      source: "added",
    });
  });

  it("serves a corrected seed sentence with its reason, in each language", () => {
    const es = blockWith("ciclo-de-vida-de-un-contenedor", "es", "la explicacion por la cual un contenedor se detiene");
    const en = blockWith("ciclo-de-vida-de-un-contenedor", "en", "the reason a container stops");
    expect(es.provenance).toEqual({ source: "corrected", reason: expect.stringMatching(/^El tutorial .*\/bin\/bash/) });
    expect(en.provenance).toEqual({
      source: "corrected",
      reason: expect.stringMatching(/^The tutorial .*\/bin\/bash/),
    });
  });

  it("marks whole lessons written for the course as added", () => {
    const view = served("redes", "es");
    expect(view.source).toBe("added");
    expect(new Set(view.blocks.map((block) => block.provenance.source))).toEqual(new Set(["added"]));
  });
});

describe("provenance markers that stop start-up", () => {
  let broken: string;
  afterEach(async () => {
    await rm(broken, { recursive: true, force: true });
  });
  const LESSON = "lessons/05-modo-interactivo";
  /** A copy of the content with each file's text changed; only the changed files differ from the real course. */
  const contentWith = async (changes: Record<string, (text: string) => string>) => {
    broken = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-provenance-"));
    await cp(CONTENT, broken, { recursive: true });
    for (const [relative, change] of Object.entries(changes)) {
      const file = path.join(broken, relative);
      await writeFile(file, change(await readFile(file, "utf8")));
    }
    return broken;
  };
  const inBoth = (change: (text: string) => string) => ({
    [`${LESSON}/es.md`]: change,
    [`${LESSON}/en.md`]: change,
  });
  const prepend = (line: string) => (text: string) => `${line}\n${text}`;
  // Lesson 05 opens with its corrected marker (line 1), one paragraph, a blank line, then a code block on line 4.
  const beforeSecondBlock = (line: string) => (text: string) =>
    text.replace(/\n\n```console/, `\n\n${line}\n\`\`\`console`);

  it.each([
    [
      "an unknown marker",
      inBoth(beforeSecondBlock("<!-- provenance: borrowed -->")),
      /05-modo-interactivo\/es\.md: line 4: unknown provenance marker <!-- provenance: borrowed -->/,
    ],
    [
      "a marker at the end of the file",
      inBoth((text) => `${text}\n<!-- provenance: added -->\n`),
      /05-modo-interactivo\/es\.md: line 50: the provenance marker is not followed by a block: the file ends/,
    ],
    [
      "a marker followed by another marker",
      inBoth(prepend("<!-- provenance: added -->")),
      /es\.md: line 1: the provenance marker is not followed by a block: another marker follows on line 2/,
    ],
    [
      "a marker followed by a rule",
      inBoth(beforeSecondBlock("<!-- provenance: added -->\n\n---\n")),
      /es\.md: line 4: the provenance marker is not followed by a block: a rule follows on line 6/,
    ],
    [
      "corrected without a reason",
      inBoth(beforeSecondBlock("<!-- provenance: corrected -->")),
      /es\.md: line 4: "corrected" needs a reason/,
    ],
    [
      "corrected with an empty reason",
      inBoth(beforeSecondBlock("<!-- provenance: corrected:   -->")),
      /es\.md: line 4: "corrected" needs a reason/,
    ],
    [
      "a reason on added",
      inBoth(beforeSecondBlock("<!-- provenance: added: because -->")),
      /es\.md: line 4: only "corrected" takes a reason/,
    ],
    [
      "a marker inside a paragraph",
      inBoth((text) => text.replace("¿Por qué ocurrió?", "¿Por qué? <!-- provenance: added -->")),
      /es\.md: line \d+: a provenance marker goes on a line of its own/,
    ],
    [
      "a marker missing from en.md",
      { [`${LESSON}/en.md`]: (text: string) => text.replace("<!-- provenance: added -->\n> [!TIP]", "> [!TIP]") },
      /05-modo-interactivo\/en\.md: provenance marker missing: es\.md line 46 has "added" on block 10/,
    ],
    [
      "a marker in es.md only",
      { [`${LESSON}/es.md`]: beforeSecondBlock("<!-- provenance: added -->") },
      /05-modo-interactivo\/en\.md: line 21: provenance marker "added" on block 5 does not match: es\.md line 4 has "added" on block 2/,
    ],
    [
      "a different kind in en.md",
      {
        [`${LESSON}/en.md`]: (text: string) =>
          text.replace(/^<!-- provenance: corrected: .*-->$/m, "<!-- provenance: added -->"),
      },
      /en\.md: line 1: provenance marker "added" on block 1 does not match: es\.md line 1 has "corrected" on block 1/,
    ],
    [
      "the same kinds on different blocks",
      {
        [`${LESSON}/en.md`]: (text: string) =>
          text
            .replace("<!-- provenance: added -->\n## Let's try", "## Let's try")
            .replace("Let's try `-it`: ", "<!-- provenance: added -->\nLet's try `-it`: "),
      },
      /en\.md: line 23: provenance marker "added" on block 6 does not match: es\.md line 21 has "added" on block 5/,
    ],
  ])("refuses %s, naming file and line", async (_case, changes, message) => {
    await expect(loadCurriculum(await contentWith(changes))).rejects.toThrow(message);
  });

  it("refuses a lesson.yaml without a source", async () => {
    await contentWith({ [`${LESSON}/lesson.yaml`]: (text) => text.replace(/^source: .*\n/m, "") });
    await expect(loadCurriculum(broken)).rejects.toThrow(/05-modo-interactivo\/lesson\.yaml: source: /);
  });

  it("stops the app from starting", async () => {
    await contentWith(inBoth(beforeSecondBlock("<!-- provenance: borrowed -->")));
    const failure = buildApp(testConfig("postgresql://unused@127.0.0.1:1/unused", { contentDir: broken }), {
      logger: false,
    });
    await expect(failure).rejects.toThrow(ContentError);
    await expect(failure).rejects.toThrow(/es\.md: line 4: unknown provenance marker/);
  });
});
