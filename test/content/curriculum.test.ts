import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { buildApp } from "../../src/app.js";
import { dockerCommandSlugs } from "../../src/content/docker-commands.js";
import { ContentError, type Curriculum, loadCurriculum } from "../../src/content/load-curriculum.js";
import { testConfig } from "../helper.js";

const CONTENT = path.resolve("content");
let curriculum: Curriculum;
beforeAll(async () => {
  curriculum = await loadCurriculum(CONTENT);
});

const fold = (text: string) =>
  text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
// Compared as plain text: emphasis markers and accents are the lessons' own business.
const spanish = () => fold(curriculum.lessons.map((lesson) => lesson.body.es.markdown.replace(/[*`]/g, "")).join("\n"));

describe("the course", () => {
  it("has at least 15 lessons, each in Spanish and English", () => {
    expect(curriculum.lessons.length).toBeGreaterThanOrEqual(15);
    for (const lesson of curriculum.lessons) {
      expect(lesson.body.es.blocks.length, lesson.slug).toBeGreaterThan(0);
      expect(lesson.body.en.blocks.length, lesson.slug).toBeGreaterThan(0);
      expect(lesson.body.en.markdown, lesson.slug).not.toEqual(lesson.body.es.markdown);
    }
  });

  it("keeps every section of the seed, with its commands and examples", () => {
    const seedPassages = [
      "filosofia de contenedores",
      "construccion, distribucion y ejecucion de codigo",
      "replica exacta de un ordenador",
      "virtualizar procesos",
      "docker daemon",
      /rest api|api rest/,
      "docker [options] command",
      "docker container prune",
      "docker run alpine",
      "exited (0)",
      "cualquier codigo diferente de cero significa que hubo un error",
      "docker run -it alpine",
      "docker run --name example2 -d alpine tail -f /dev/null",
      "docker inspect --format '{{.state.pid}}' example2",
      "kill -9",
    ];
    const text = spanish();
    for (const passage of seedPassages) {
      if (typeof passage === "string") expect(text, passage).toContain(passage);
      else expect(text).toMatch(passage);
    }
  });

  it("writes the lessons the seed only names, and continues the course", () => {
    const slugs = curriculum.lessons.map((lesson) => lesson.slug);
    for (const slug of [
      "exponiendo-contenedores",
      "imagenes",
      "volumenes-y-bind-mounts",
      "redes",
      "dockerfile",
      "docker-compose",
    ]) {
      expect(slugs).toContain(slug);
    }
    const publishing = curriculum.lessons.find((lesson) => lesson.slug === "exponiendo-contenedores");
    expect(publishing?.body.es.markdown).toMatch(/-p 127\.0\.0\.1:\d+:\d+/);
    expect(publishing?.body.es.markdown).toContain("docker port");
  });

  it("references the three diagrams as image blocks with alt text in both languages", () => {
    for (const diagram of ["vm-vs-containers.svg", "docker-architecture.svg", "container-lifecycle.svg"]) {
      expect(curriculum.diagrams.has(diagram), diagram).toBe(true);
      for (const language of ["es", "en"] as const) {
        const images = curriculum.lessons.flatMap((lesson) =>
          lesson.body[language].blocks.filter((block) => block.type === "image" && block.src.endsWith(diagram)),
        );
        expect(images.length, `${diagram} in ${language}`).toBeGreaterThan(0);
      }
    }
  });

  it("has a reference entry for every docker command a lesson runs, including the seed's table", () => {
    const slugs = new Set(curriculum.commands.map((command) => command.slug));
    for (const required of ["ps", "inspect", "run", "rm", "container-prune", "exec", "kill", "port"]) {
      expect(slugs, required).toContain(required);
    }
    for (const lesson of curriculum.lessons) {
      for (const language of ["es", "en"] as const) {
        for (const block of lesson.body[language].blocks) {
          if (block.type !== "code") continue;
          for (const slug of dockerCommandSlugs(block.code, block.language)) {
            expect(slugs.has(slug), `${lesson.slug}/${language}: docker ${slug}`).toBe(true);
          }
        }
      }
    }
  });

  it("documents the seed's flags in the reference: run -it, run -d --name, inspect --format", () => {
    const examples = (slug: string) =>
      curriculum.commands
        .find((command) => command.slug === slug)
        ?.examples.map((e) => e.command)
        .join("\n") ?? "";
    expect(examples("run")).toMatch(/docker run -it /);
    expect(examples("run")).toMatch(/docker run (-d --name|--name \S+ -d)/);
    expect(examples("inspect")).toMatch(/--format/);
  });
});

describe("the module «Una aplicación real»", () => {
  const module = "una-aplicacion-real";
  const lessons = () => curriculum.lessons.filter((lesson) => lesson.module === module);

  it("has at least six lessons, each ending with a graded exercise on the course's app", () => {
    expect(lessons().length).toBeGreaterThanOrEqual(6);
    for (const lesson of lessons()) {
      const exercises = lesson.exercises.map((id) => curriculum.exercises.get(id));
      expect(exercises, lesson.slug).toContainEqual(expect.objectContaining({ kind: "container", app: "contador" }));
    }
  });

  it("has the learner write every file of content/app/contador exactly as the course ships it", async () => {
    const written = new Set(
      lessons().flatMap((lesson) =>
        [...lesson.body.es.markdown.matchAll(/```\w+ file=(\S+)\n([\s\S]*?)```/g)].map(
          ([, file, text]) => `${file}\n${text}`,
        ),
      ),
    );
    const app = path.join(CONTENT, "app", "contador");
    const files = ["package.json", "package-lock.json", "src/server.js", "Dockerfile", ".dockerignore", "compose.yaml"];
    for (const file of files) {
      expect(written, file).toContain(`${file}\n${await readFile(path.join(app, file), "utf8")}`);
    }
  });

  it("takes the outline to at least 26 lessons", () => {
    expect(curriculum.lessons.length).toBeGreaterThanOrEqual(26);
  });
});

describe("the lessons show what today's Docker prints", () => {
  const codeBlocks = () =>
    curriculum.lessons.flatMap((lesson) =>
      (["es", "en"] as const).flatMap((language) =>
        lesson.body[language].blocks.flatMap((block) =>
          block.type === "code" ? [{ where: `${lesson.slug} (${language})`, code: block.code }] : [],
        ),
      ),
    );

  it("builds with BuildKit: no legacy builder output", () => {
    const legacy = /Sending build context|^Step \d+\/\d+ :|---> Running in|^Successfully built/m;
    expect(
      codeBlocks()
        .filter((block) => legacy.test(block.code))
        .map((block) => block.where),
    ).toEqual([]);
  });

  it("runs Compose v2: docker compose, and containers named project-service-1", () => {
    const v1 = /^\$ docker-compose |\b[\w-]+_[\w-]+_\d+\b/m;
    expect(
      codeBlocks()
        .filter((block) => v1.test(block.code))
        .map((block) => block.where),
    ).toEqual([]);
  });

  it("never runs wget inside nginx:latest, which has none (its health checks use curl)", () => {
    const wgetInDebianNginx = /(--health-cmd|HEALTHCHECK|test:).*wget/;
    const nginxLatest = codeBlocks().filter((block) => /\bnginx(:latest)?\b(?![:-]\d)/.test(block.code));
    expect(nginxLatest.filter((block) => wgetInDebianNginx.test(block.code)).map((block) => block.where)).toEqual([]);
  });
});

describe("loading", () => {
  it("accepts the content folder as a relative path too", async () => {
    const relative = await loadCurriculum("content");
    expect(relative.lessons.map((lesson) => lesson.slug)).toEqual(curriculum.lessons.map((lesson) => lesson.slug));
  });
});

describe("recognising docker commands in code blocks", () => {
  it.each([
    ["sh", "docker container prune -f", ["container-prune"]],
    ["sh", "docker compose up -d", ["compose-up"]],
    ["console", "$ docker ps -a\nCONTAINER ID   IMAGE\n", ["ps"]],
    ["console", "docker run alpine\n", []],
    ["sh", "kill -9 $(docker inspect --format '{{.State.Pid}}' example2)", ["inspect"]],
    ["dockerfile", "RUN docker build .", []],
  ])("%s: %j → %j", (language, code, expected) => {
    expect(dockerCommandSlugs(code, language)).toEqual(expected);
  });
});

describe("invalid content stops start-up", () => {
  let broken: string;
  const copyContent = async () => {
    broken = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-content-"));
    await cp(CONTENT, broken, { recursive: true });
    return broken;
  };
  const edit = async (relative: string, change: (text: string) => string) => {
    const file = path.join(broken, relative);
    await writeFile(file, change(await readFile(file, "utf8")));
  };
  afterEach(async () => {
    await rm(broken, { recursive: true, force: true });
  });

  it("names the file and the field of a malformed lesson", async () => {
    await copyContent();
    await edit("lessons/05-modo-interactivo/lesson.yaml", (text) => text.replace(/^minutes: .*$/m, "minutes: soon"));
    const failure = buildApp(testConfig("postgresql://unused@127.0.0.1:1/unused", { contentDir: broken }), {
      logger: false,
    });
    await expect(failure).rejects.toThrow(ContentError);
    await expect(failure).rejects.toThrow(/lessons\/05-modo-interactivo\/lesson\.yaml: minutes: .*number/);
  });

  it("fails when a code block runs a docker command with no reference entry", async () => {
    await copyContent();
    await edit("lessons/05-modo-interactivo/es.md", (text) => `${text}\n\n\`\`\`sh\ndocker frobnicate --now\n\`\`\`\n`);
    await expect(loadCurriculum(broken)).rejects.toThrow(/es\.md: a code block runs "docker frobnicate"/);
  });

  it("fails on a code block marker it does not know: a block is never skipped without a known reason", async () => {
    await copyContent();
    await edit(
      "lessons/05-modo-interactivo/es.md",
      (text) => `${text}\n\n\`\`\`console norun=flaky\n$ docker ps\n\`\`\`\n`,
    );
    await edit(
      "lessons/05-modo-interactivo/en.md",
      (text) => `${text}\n\n\`\`\`yaml norun=no-registry\nx: 1\n\`\`\`\n`,
    );
    const failure = loadCurriculum(broken);
    await expect(failure).rejects.toThrow(
      /es\.md: line \d+: code block "console norun=flaky": "norun=flaky": a norun reason is one of no-registry, /,
    );
    await expect(failure).rejects.toThrow(
      /en\.md: line \d+: code block "yaml norun=no-registry": .*only shell blocks run/,
    );
  });

  it("fails when a link between lessons and commands points nowhere", async () => {
    await copyContent();
    await edit("commands/ps.yaml", (text) => {
      const command = YAML.parse(text);
      command.lessons.push("no-such-lesson");
      return YAML.stringify(command);
    });
    await expect(loadCurriculum(broken)).rejects.toThrow(/command ps: lessons: "no-such-lesson" is not a lesson/);
  });

  it("fails when an exercise names a course app that is not in content/app", async () => {
    await copyContent();
    await edit("exercises/contador-en-imagen.yaml", (text) => text.replace("app: contador", "app: no-such-app"));
    await expect(loadCurriculum(broken)).rejects.toThrow(/contador-en-imagen.yaml: app: "no-such-app" is not a folder/);
  });

  it("fails when a lesson links to an exercise that does not exist", async () => {
    await copyContent();
    await edit("lessons/05-modo-interactivo/lesson.yaml", (text) => {
      const lesson = YAML.parse(text);
      lesson.exercises.push("no-such-exercise");
      return YAML.stringify(lesson);
    });
    await expect(loadCurriculum(broken)).rejects.toThrow(/exercises: "no-such-exercise" is not in content\/exercises/);
  });

  it("fails when an exercise declares equivalent a mutant its accepted attempts do not yield", async () => {
    await copyContent();
    await edit(
      "exercises/compose-servicio-web.yaml",
      (text) => `${text}\nequivalent:\n  - mutant: drop --frobnicate\n    reason: no such flag\n`,
    );
    await expect(loadCurriculum(broken)).rejects.toThrow(
      /exercises\/compose-servicio-web\.yaml: equivalent\.0\.mutant: no mutant of the accepted attempts is "drop --frobnicate"/,
    );
  });

  it("fails when a container exercise does not lead a learner without the container to the command that creates it", async () => {
    await copyContent();
    type Hint = { when: { state?: string; failed?: string }; text: { es: string; en: string } };
    const editHints = (exerciseId: string, change: (hints: Hint[]) => void) =>
      edit(`exercises/${exerciseId}.yaml`, (text) => {
        const exercise = YAML.parse(text);
        change(exercise.hints);
        return YAML.stringify(exercise);
      });
    const missing = (hints: Hint[]) => hints.find((hint) => hint.when.state === "missing");
    await editHints("web-en-puerto-8080", (hints) => hints.splice(hints.indexOf(missing(hints) as Hint), 1));
    await editHints("alpine-una-vez", (hints) => {
      (missing(hints) as Hint).text.en =
        "Look with `docker ps -a`, then create it with `docker run --name {name} alpine`.";
    });
    // Without a container, a hint on the failed `exists` check applies too, and it comes first.
    await editHints("red-definida", (hints) =>
      hints.unshift({ when: { failed: "existe" }, text: { es: "Mira `docker ps -a`.", en: "See `docker ps -a`." } }),
    );
    const failure: unknown = await loadCurriculum(broken).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ContentError);
    // The lessons that list these exercises then name them as missing: only the exercises' own problems matter here.
    const inExercises = (failure as ContentError).problems.filter((problem) =>
      /exercises\/[a-z0-9-]+\.yaml: /.test(problem),
    );
    expect(inExercises.toSorted()).toEqual([
      expect.stringMatching(
        /exercises\/alpine-una-vez\.yaml: hints\.\d+\.text\.en: alpine-una-vez: the `state: missing` hint must give first, in backticks, the docker command that creates alpine-una-vez .*`docker ps -a` only lists containers\.$/,
      ),
      expect.stringMatching(
        /exercises\/red-definida\.yaml: hints\.0\.when: red-definida: with no container api-en-red the page shows first the first hint that applies, so that hint must be `when: \{ state: missing \}`/,
      ),
      expect.stringMatching(
        /exercises\/web-en-puerto-8080\.yaml: hints: web-en-puerto-8080: with no container mi-web the page shows first/,
      ),
    ]);
  });

  it("fails on a broken YAML file, naming it", async () => {
    await copyContent();
    await edit("modules.yaml", () => "- slug: [unclosed\n");
    await expect(loadCurriculum(broken)).rejects.toThrow(/modules\.yaml: /);
  });
});
