/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { describe, expect, it, vi } from "vitest";
import type { QuestionExercise } from "../../src/grading/exercise.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { SCREENSHOTS, seriousViolations } from "./browser.js";
import { useLearnerBrowser } from "./learner-browser.js";

/**
 * The page as a Spanish-speaking beginner meets it, on a phone (320 and 390 px) and a laptop
 * (1280 px): feedback that says what to type next, questions answered in the options' words, the
 * way through the course, code a beginner can read, and no page wider than the screen.
 */
const lab = useLearnerBrowser();
const { containers } = lab;

const WIDTHS = [320, 390, 1280] as const;
// A real browser and axe-core on a busy two-core machine: a test with two axe runs took over 30 s.
vi.setConfig({ testTimeout: 120_000 });

/** The height of the screen at this width: a phone's (740 px) below 1000 px, a laptop's (900 px) above. */
const screenHeight = (width: number) => (width < 1000 ? 740 : 900);

const signedInPage = (learnerId: string, width: number) => lab.signedInPage(learnerId, width, screenHeight(width));

/** How far the page reaches past the screen's right edge, in CSS pixels: 0 when nothing sticks out. */
const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

async function openLesson(page: Page, slug: string): Promise<void> {
  await page.goto(`${lab.origin}/lessons/${slug}`);
  await page.locator("main h1").waitFor();
  await page.locator(".exercise").first().waitFor();
}

/** Scrolls the element to the top of the screen at once (the page scrolls smoothly, and a screenshot must not catch it halfway). */
const showAtTop = (target: Locator) =>
  target.evaluate((element) => element.scrollIntoView({ block: "start", behavior: "instant" }));

async function shoot(page: Page, target: Locator, name: string): Promise<void> {
  await showAtTop(target);
  await page.screenshot({ path: path.join(SCREENSHOTS, name) });
}

/**
 * The same view on a small phone, a phone and a laptop: nothing wider than the screen at any of them,
 * and a screenshot of each, `${name}-${width}.png`, with the target at the top. Ends at the width it began.
 */
async function atEveryWidth(page: Page, target: Locator, name: string): Promise<void> {
  const before = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: screenHeight(width) });
    expect(await overflow(page), `${name} at ${width} px`).toBe(0);
    await shoot(page, target, `${name}-${width}.png`);
  }
  if (before) await page.setViewportSize(before);
}

async function checkContainer(page: Page, exerciseId: string, name: string): Promise<Locator> {
  const panel = page.locator(`#exercise-${exerciseId}`);
  await panel.getByLabel("Nombre del contenedor").fill(name);
  await panel.getByRole("button", { name: "Comprobar" }).click();
  await panel.locator(".submission").waitFor();
  return panel.locator(".submission");
}

const questionExercise = (id: string) => {
  const exercise = lab.t.app.curriculum.exercises.get(id);
  if (exercise?.kind !== "question") throw new Error(`${id} is not a question exercise`);
  return exercise;
};

/** What a learner reads of an option: its Markdown without the backticks. */
const plain = (markdown: string) => markdown.replace(/`([^`]+)`/g, "$1");

describe("a failed attempt leads with what to type next", () => {
  for (const width of WIDTHS) {
    it(`with no container, at ${width} px: the next step first, as a command to copy, and one line for what could not be looked at`, async () => {
      const page = await signedInPage(`nadia-${width}`, width);
      await openLesson(page, "ciclo-de-vida-de-un-contenedor");
      const name = `nadie-${uniqueSuffix()}`;
      const result = await checkContainer(page, "example2-en-segundo-plano", name);
      expect(await result.getAttribute("data-status")).toBe("failed");
      // Verdict, then the next step: nothing stands between them.
      const children = await result.evaluate((element) => Array.from(element.children, (child) => child.className));
      expect(children.slice(0, 2)).toEqual(["verdict", "next-step"]);
      const next = result.locator(".next-step");
      // The command that creates the container, not one that lists containers.
      const creates = `docker run --name ${name} -d alpine tail -f /dev/null`;
      expect(await next.textContent()).toContain(`${name} no existe todavía`);
      expect(await next.locator("pre").textContent()).toBe(`$ ${creates}`);
      await next.getByRole("button", { name: "Copiar el código" }).click();
      await expect.poll(() => next.getByRole("status").textContent()).toBe("Copiado");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(creates);
      // One real failure (the container is not there); the rest fold into one line, and no empty Expected box.
      expect(await result.locator(".check.fail").count()).toBe(1);
      const unlooked = result.locator(".check.unlooked");
      expect(await unlooked.count()).toBe(1);
      const exercise = lab.t.app.curriculum.exercises.get("example2-en-segundo-plano");
      const others = exercise?.kind === "container" ? exercise.checks.length - 1 : 0;
      expect(await unlooked.locator("summary").textContent()).toBe(
        `No pudimos mirar más: primero tiene que existir el contenedor (faltan ${others} comprobaciones).`,
      );
      expect(await unlooked.locator("details").getAttribute("open")).toBeNull();
      expect(await result.locator(".versus").count()).toBe(0);
      expect(await overflow(page)).toBe(0);
      // On a phone the next step is on the first screen of the result.
      await showAtTop(result);
      const box = await next.boundingBox();
      expect((box?.y ?? 1e9) + (box?.height ?? 0)).toBeLessThan(screenHeight(width));
      await page.screenshot({ path: path.join(SCREENSHOTS, `failed-no-container-${width}.png`) });
      expect(await seriousViolations(page)).toEqual([]);
    });
  }

  it("partly right: what passed folds away, the failures say why, the hint's commands are ready", async () => {
    const page = await signedInPage("olga", 1280);
    await openLesson(page, "ciclo-de-vida-de-un-contenedor");
    const name = `example2-${uniqueSuffix()}`;
    containers.push(name);
    await docker(["run", "--name", name, "alpine"]); // the wrong command: it ends at once
    const result = await checkContainer(page, "example2-en-segundo-plano", name);
    expect(await result.locator(".verdict").textContent()).toMatch(/^Aún no: [1-9]\d* de \d+ puntos$/);
    expect(await result.locator(".next-step pre").textContent()).toBe(
      `$ docker rm ${name}\n$ docker run --name ${name} -d alpine tail -f /dev/null`,
    );
    const passed = result.locator(".passed-checks");
    expect(await passed.locator("summary").textContent()).toMatch(/^\d comprobaci(ón superada|ones superadas)$/);
    expect(await passed.getAttribute("open")).toBeNull();
    expect(await result.locator(".check.unlooked").count()).toBe(0);
    // Its command is not tail -f /dev/null: the values say what the feedback alone would not.
    const command = result.locator('.check.fail[data-check="comando"]');
    expect(await command.locator(".feedback").textContent()).toContain("Escríbelo después del nombre de la imagen");
    await atEveryWidth(page, result, "partly-right");
  });

  it("shows the exercise's hints one at a time before any attempt, each saying when it applies", async () => {
    const page = await signedInPage("pablo", 390);
    await openLesson(page, "ciclo-de-vida-de-un-contenedor");
    const hints = page.locator("#exercise-example2-en-segundo-plano .hints-on-request");
    const button = hints.getByRole("button", { name: /^Ver una pista \(1 de \d\)$/ });
    const total = Number((await button.textContent())?.match(/de (\d)/)?.[1]);
    expect(total).toBeGreaterThan(1);
    expect(await hints.locator("li").count()).toBe(0);
    await button.click();
    expect(await hints.locator("li").count()).toBe(1);
    expect(await hints.locator("li .hint-when").first().textContent()).toBe("Si tu contenedor está terminado (exited)");
    expect(await hints.locator("li pre").first().textContent()).toContain("$ docker run --name example2 -d alpine");
    expect(await hints.locator(".hint-button").textContent()).toBe(`Ver una pista (2 de ${total})`);
    for (let shown = 1; shown < total; shown++) await hints.locator(".hint-button").click();
    expect(await hints.locator("li").count()).toBe(total);
    expect(await hints.locator(".hint-button").count()).toBe(0);
  });
});

describe("questions, in the options' own words", () => {
  it("every question type works at 320 px, and a wrong answer shows the learner's choice and the right one as text", async () => {
    const page = await signedInPage("queralt", 320);
    const types = new Set<string>();
    for (const [slug, exerciseId] of [
      ["comandos-basicos", "preguntas-comandos-basicos"],
      ["arquitectura-de-docker", "preguntas-arquitectura-de-docker"],
    ] as const) {
      await openLesson(page, slug);
      const exercise = questionExercise(exerciseId);
      for (const question of exercise.questions) types.add(question.type);
      const panel = page.locator(`#exercise-${exerciseId}`);
      // Nothing of the form is wider than the screen, and no option shows Markdown's backticks.
      expect(await overflow(page)).toBe(0);
      expect(await panel.locator("select option").allTextContents()).not.toContainEqual(expect.stringContaining("`"));
      // Each radio and box sits at the left with its words right beside it, one option to a line.
      const gaps = await panel.locator(".option").evaluateAll((options) =>
        options.map((option) => {
          const box = option.querySelector("input")?.getBoundingClientRect();
          const text = option.querySelector(".option-text")?.getBoundingClientRect();
          return box && text ? Math.round(text.left - box.right) : -1;
        }),
      );
      expect(gaps.length).toBeGreaterThan(0);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(4);
      for (const gap of gaps) expect(gap).toBeLessThanOrEqual(12);
      await shoot(page, panel.locator(".question").first(), `questions-form-${slug}-320.png`);
      for (const question of exercise.questions) {
        const field = panel.locator(`[data-question="${question.id}"]`);
        if (question.type === "short") await field.locator("input").fill("docker ps");
        if (question.type === "single" || question.type === "multiple") {
          const wrong = question.options.findIndex((option) =>
            question.type === "single" ? option.id !== question.answer : !question.answer.includes(option.id),
          );
          await field
            .getByRole(question.type === "single" ? "radio" : "checkbox")
            .nth(Math.max(wrong, 0))
            .check();
        }
        if (question.type === "order") {
          // As listed, which is never the right order.
          const selects = field.locator("select");
          for (const [position, item] of question.items.entries()) await selects.nth(position).selectOption(item.id);
        }
      }
      await panel.getByRole("button", { name: "Comprobar" }).click();
      const result = panel.locator(".submission");
      await result.waitFor();
      for (const question of exercise.questions) {
        const check = result.locator(`.check[data-check="${question.id}"]`);
        expect(await check.locator(".answers dt").allTextContents(), question.id).toEqual([
          "Tu respuesta",
          "La respuesta correcta",
        ]);
        const right = await check.locator(".answers dd").nth(1).locator("li").allTextContents();
        const expected =
          question.type === "short"
            ? [question.answer]
            : (typeof question.answer === "string" ? [question.answer] : question.answer).map((id) =>
                plain(
                  (question.type === "order" ? question.items : question.options).find((choice) => choice.id === id)
                    ?.text.es ?? id,
                ),
              );
        expect(right, question.id).toEqual(expected);
      }
      expect(await result.textContent()).not.toContain("la respuesta correcta");
      expect(await overflow(page)).toBe(0);
      expect(await seriousViolations(page)).toEqual([]);
      await atEveryWidth(page, result, `questions-${slug}`);
    }
    // Between them, the two exercises hold every type of question there is.
    expect([...types].sort()).toEqual(["multiple", "order", "short", "single"]);
  });
});

describe("the way through the course", () => {
  it("a pass is a clear moment with a prominent next step; the module's last lesson sums the module up", async () => {
    const page = await signedInPage("rosa", 390);
    await openLesson(page, "arquitectura-de-docker");
    const exercise: QuestionExercise = questionExercise("preguntas-arquitectura-de-docker");
    const panel = page.locator("#exercise-preguntas-arquitectura-de-docker");
    for (const question of exercise.questions) {
      const field = panel.locator(`[data-question="${question.id}"]`);
      if (question.type === "order") {
        for (const [position, id] of question.answer.entries())
          await field.locator("select").nth(position).selectOption(id);
      } else if (question.type === "single") await field.locator(`input[value="${question.answer}"]`).check();
      else if (question.type === "multiple")
        for (const id of question.answer) await field.locator(`input[value="${id}"]`).check();
      else await field.locator("input").fill(question.answer);
    }
    await panel.getByRole("button", { name: "Comprobar" }).click();
    const result = panel.locator(".submission");
    await expect.poll(() => result.getAttribute("data-status")).toBe("passed");
    const wayOn = result.locator(".way-on");
    await expect
      .poll(() => wayOn.locator(".lesson-done").textContent())
      .toBe("¡Lección completada! Has superado todos sus ejercicios.");
    expect(await wayOn.locator(".module-summary-title").textContent()).toBe("Has terminado el módulo «Primeros pasos»");
    expect(await wayOn.locator(".module-summary li").count()).toBeGreaterThanOrEqual(3);
    const next = wayOn.locator("a.primary");
    expect(await next.textContent()).toMatch(/^Siguiente lección: .+ →$/);
    // On a phone, the way on is on the first screen of the result, before the list of what passed.
    await showAtTop(result);
    const box = await next.boundingBox();
    expect((box?.y ?? 1e9) + (box?.height ?? 0)).toBeLessThan(740);
    await atEveryWidth(page, result, "passed-module-end");
    await next.click();
    await expect.poll(() => page.url()).toBe(`${lab.origin}/lessons/comandos-basicos`);
  });

  it("a container exercise passed points to the lesson's next exercise", async () => {
    const page = await signedInPage("sara", 1280);
    await openLesson(page, "modo-interactivo");
    const name = `alpine-una-vez-${uniqueSuffix()}`;
    containers.push(name);
    await docker(["run", "--name", name, "alpine"]);
    const result = await checkContainer(page, "alpine-una-vez", name);
    await expect.poll(() => result.getAttribute("data-status")).toBe("passed");
    const next = result.locator(".way-on a.primary");
    await next.waitFor();
    expect(await next.getAttribute("href")).toMatch(/^#exercise-/);
    expect(await next.textContent()).toMatch(/^Siguiente ejercicio: .+ ↓$/);
    await atEveryWidth(page, result, "passed-next-exercise");
  });

  it("the course map says where you are, how far you have come, and takes you back to it", async () => {
    const page = await signedInPage("tomas", 390);
    const lessonCount = lab.t.app.curriculum.lessons.length;
    const resume = page.locator(".resume");
    expect(await resume.locator("h2").textContent()).toBe("Empieza por aquí");
    expect(await resume.locator("a").textContent()).toMatch(new RegExp(`^Lección 1 de ${lessonCount}: `));
    await page.goto(`${lab.origin}/lessons/redes`);
    await page.locator("main h1").waitFor();
    const position = lab.t.app.curriculum.lessons.findIndex((lesson) => lesson.slug === "redes") + 1;
    await expect.poll(() => page.locator(".crumbs .place").textContent()).toBe(`Lección ${position} de ${lessonCount}`);
    // Read: its end has been on screen.
    await page.locator(".pager").scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate(() => localStorage.getItem("lessonsRead"))).toContain("redes");
    await page.getByRole("link", { name: "Curso", exact: true }).first().click();
    await page.locator(".resume").waitFor();
    expect(await resume.locator("h2").textContent()).toBe("Continuar donde lo dejaste");
    expect(await resume.locator("a").getAttribute("href")).toBe("/lessons/redes");
    const current = page.locator('[aria-current="step"]');
    expect(await current.count()).toBe(1);
    expect(await current.getAttribute("href")).toBe("/lessons/redes");
    expect(await page.locator(".overall").textContent()).toContain(`1 de ${lessonCount} lecciones leídas`);
    // Plurals: one exercise is one exercise.
    expect(await page.locator("main").textContent()).not.toMatch(/\b1 (ejercicios|lecciones)\b/);
    await atEveryWidth(page, page.locator("header.top"), "course-map");
  });
});

describe("reading on any screen", () => {
  it("no page is wider than a 320 px screen, and none shows Markdown's backticks outside code", async () => {
    const page = await signedInPage("ulises", 320);
    // The header leaves the screen to the lesson.
    expect((await page.locator("header.top").boundingBox())?.height).toBeLessThan(100);
    for (const address of [
      "/",
      "/lessons/ciclo-de-vida-de-un-contenedor",
      "/lessons/docker-compose",
      "/lessons/comandos-basicos",
      "/commands",
      "/commands/run",
      "/search?q=imagen",
    ]) {
      await page.goto(`${lab.origin}${address}`);
      await page.locator("main h1").waitFor();
      if (address.startsWith("/lessons/")) await page.locator(".exercise").first().waitFor();
      expect(await overflow(page), address).toBe(0);
      const prose = await page.evaluate(() =>
        Array.from(document.querySelectorAll("main p, main li, main dd, main option"))
          .filter((element) => !element.closest("pre, code"))
          .map((element) => element.textContent ?? "")
          .filter((text) => text.includes("`")),
      );
      expect(prose, address).toEqual([]);
    }
  });

  it("code: commands set apart from output, a label for people, long commands wrapped", async () => {
    const page = await signedInPage("vera", 320);
    await page.goto(`${lab.origin}/lessons/ciclo-de-vida-de-un-contenedor`);
    await page.locator("main h1").waitFor();
    expect(await page.locator(".code-lang").allTextContents()).not.toContain("console");
    const terminal = page.locator(".code.is-terminal", { hasText: "docker run --name example2 -d alpine" }).first();
    expect(await terminal.locator(".code-lang").textContent()).toBe("Terminal");
    expect(await terminal.locator(".cmd").first().textContent()).toBe(
      "docker run --name example2 -d alpine tail -f /dev/null",
    );
    expect(
      await terminal
        .locator(".prompt")
        .first()
        .evaluate((e) => getComputedStyle(e).userSelect),
    ).toBe("none");
    // The command wraps inside its box at 320 px rather than running off it; only output may scroll.
    const pastTheEdge = await terminal.locator("pre").evaluate((pre) => {
      const edge = pre.getBoundingClientRect().right;
      return Array.from(pre.querySelectorAll(".cmd"))
        .flatMap((command) => Array.from(command.getClientRects(), (rect) => rect.right - edge))
        .filter((past) => past > 1);
    });
    expect(pastTheEdge).toEqual([]);
    await showAtTop(terminal);
    await page.screenshot({ path: path.join(SCREENSHOTS, "code-320.png") });
  });

  it("dark mode: the button offers the other theme, and axe finds nothing serious", async () => {
    const page = await signedInPage("wanda", 390);
    const toggle = page.locator("#theme-toggle");
    expect(await toggle.textContent()).toBe("Tema oscuro");
    await toggle.click();
    expect(await page.locator("html").getAttribute("data-theme")).toBe("dark");
    expect(await toggle.textContent()).toBe("Tema claro");
    expect(await seriousViolations(page)).toEqual([]);
    await atEveryWidth(page, page.locator("header.top"), "dark-course-map");
    await openLesson(page, "ciclo-de-vida-de-un-contenedor");
    const result = await checkContainer(page, "example2-en-segundo-plano", `nadie-${uniqueSuffix()}`);
    expect(await seriousViolations(page)).toEqual([]);
    await atEveryWidth(page, result, "dark-failed-no-container");
  });

  it("?lang=fr reads in Spanish, and the answer says so", async () => {
    const page = await signedInPage("xenia", 1280);
    const answer = await page.evaluate(async () => {
      const response = await fetch("/v1/lessons?lang=fr");
      return { status: response.status, language: response.headers.get("content-language") };
    });
    expect(answer).toEqual({ status: 200, language: "es" });
  });
});
