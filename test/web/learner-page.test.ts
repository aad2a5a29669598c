/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import path from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it, vi } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp } from "../helper.js";
import { listen, mintSessionLink, SCREENSHOTS, seriousViolations, watchPage } from "./browser.js";
import { useLearnerBrowser } from "./learner-browser.js";

/**
 * A learner in a real chromium: signed in by an LMS's session link, reading «Ciclo de vida de un
 * contenedor», running its commands on the real engine and pressing Check.
 */
const lab = useLearnerBrowser();
const { containers, confirmSwitchIfAsked, signedInPage } = lab;
// A real browser on a busy two-core machine: a lesson's docker run and two checks took 30 s there.
vi.setConfig({ testTimeout: 90_000 });

const exercise = (page: Page, id: string) => page.locator(`#exercise-${id}`);

async function check(page: Page, exerciseId: string, containerName: string) {
  const panel = exercise(page, exerciseId);
  await panel.getByLabel("Nombre del contenedor").fill(containerName);
  await panel.getByRole("button", { name: "Comprobar" }).click();
  await panel.locator(".submission").waitFor();
  return panel;
}

describe("«Ciclo de vida de un contenedor», from the outline to two passed checks", () => {
  it("runs the lesson's docker run, passes with each check's feedback, then kill -9 passes the next", async () => {
    const page = await signedInPage("ana");
    await page.screenshot({ path: path.join(SCREENSHOTS, "outline-1280.png") });
    await page.getByRole("link", { name: /Ciclo de vida de un contenedor/ }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Ciclo de vida de un contenedor");
    expect(page.url()).toBe(`${lab.origin}/lessons/ciclo-de-vida-de-un-contenedor`);

    // Copy the lesson's command the way a learner does, with the copy button.
    const block = page.locator(".code", { hasText: "$ docker run --name example2 -d alpine" }).first();
    await block.getByRole("button", { name: "Copiar el código" }).click();
    await expect.poll(() => block.getByRole("status").textContent()).toBe("Copiado");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    // The block's commands without its prompts and output: what a learner pastes into a terminal.
    expect(copied).toBe("docker run --name example2 -d alpine tail -f /dev/null\ndocker ps");
    await page.screenshot({ path: path.join(SCREENSHOTS, "lesson-1280.png") });

    const name = `example2-${uniqueSuffix()}`;
    containers.push(name);
    const [, ...args] = (copied.split("\n")[0] ?? "").replace("example2", name).split(" ");
    await docker(args);

    const first = await check(page, "example2-en-segundo-plano", name);
    const passed = first.locator(".submission");
    await expect.poll(() => passed.getAttribute("data-status")).toBe("passed");
    expect(await passed.locator(".verdict").textContent()).toMatch(/^¡Superado! (\d+) de \1 puntos$/);
    const feedback = await passed.locator(".check .feedback").allTextContents();
    expect(feedback.length).toBeGreaterThanOrEqual(4);
    expect(feedback).toContain(`¡Encontrado! Tu contenedor ${name} existe.`);
    expect(await passed.locator(".check.fail").count()).toBe(0);
    await expect.poll(() => page.locator("#lesson-progress").textContent()).toContain("1 de 2 ejercicios superados");
    await first.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, "check-passed-1280.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await first.locator(".submission").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, "check-passed-390.png") });
    await page.setViewportSize({ width: 1280, height: 900 });

    const pid = Number(await docker(["inspect", "--format", "{{.State.Pid}}", name]));
    process.kill(pid, "SIGKILL"); // kill -9 PID, from the host, as the lesson does
    expect(await docker(["wait", name])).toBe("137");
    const second = await check(page, "example2-detenido-con-kill", name);
    await expect.poll(() => second.locator(".submission").getAttribute("data-status")).toBe("passed");
    expect(await second.locator(".check .feedback").allTextContents()).toContain(
      "Código 137 = 128 + 9: su proceso murió por SIGKILL. ¡Perfecto!",
    );
    await expect.poll(() => page.locator("#lesson-progress").textContent()).toContain("2 de 2 ejercicios superados");
    await expect.poll(() => second.locator(".attempts summary").textContent()).toBe("Intentos (1)");

    // Progress on the outline, after navigating back.
    await page.goBack();
    await expect.poll(() => page.locator('[data-lesson="ciclo-de-vida-de-un-contenedor"] .badge-pass').count()).toBe(1);
  });
});

describe("a wrong attempt", () => {
  it("shows the failing check, expected vs actual, and the hint", async () => {
    const page = await signedInPage("bruno");
    await page.goto(`${lab.origin}/lessons/ciclo-de-vida-de-un-contenedor`);
    const name = `example2-${uniqueSuffix()}`;
    containers.push(name);
    await docker(["run", "--name", name, "alpine"]); // exits at once: the wrong command
    const panel = await check(page, "example2-en-segundo-plano", name);
    const result = panel.locator(".submission");
    expect(await result.getAttribute("data-status")).toBe("failed");
    expect(await result.locator(".verdict").textContent()).toMatch(/^Aún no: \d+ de \d+ puntos$/);
    const failing = result.locator('.check.fail[data-check="en-ejecucion"]');
    // The feedback already says both states: an Expected/Obtained box would only repeat it.
    expect(await failing.locator(".feedback").textContent()).toBe(`Tu contenedor está en estado exited, no running.`);
    expect(await failing.locator(".versus").count()).toBe(0);
    // First comes the one thing to do, with its commands ready to copy.
    const next = result.locator(".next-step");
    expect(await result.locator(":scope > *").nth(1).getAttribute("class")).toBe("next-step");
    expect(await next.locator("pre").textContent()).toBe(
      `$ docker rm ${name}\n$ docker run --name ${name} -d alpine tail -f /dev/null`,
    );
    await result.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, "check-failed-1280.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await result.locator(".check.fail").first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SCREENSHOTS, "check-failed-390.png") });
  });
});

describe("a lesson's requests", () => {
  it("asks for the lesson once, its exercises inside it, and per exercise only the learner's attempts", async () => {
    const page = await signedInPage("carla");
    const slug = "ciclo-de-vida-de-un-contenedor";
    const exercises = lab.t.app.curriculum.lessons.find((lesson) => lesson.slug === slug)?.exercises ?? [];
    expect(exercises.length).toBeGreaterThan(1);
    const asked: string[] = [];
    page.on("request", (sent) => {
      const url = new URL(sent.url());
      // What the page's scripts ask for; the lesson's diagrams are images, asked for by the browser.
      if (sent.resourceType() === "fetch") asked.push(`${sent.method()} ${url.pathname}`);
    });
    // The lesson, the outline for its place, the progress, and each exercise's attempts: no exercise
    // is fetched on its own (5 + k requests with the session's, not 5 + 2k).
    const expected = [
      "GET /v1/learners/carla/progress",
      ...exercises.map(() => "GET /v1/learners/carla/submissions"),
      "GET /v1/lessons",
      `GET /v1/lessons/${slug}`,
    ].sort();
    await page.goto(`${lab.origin}/lessons/${slug}`);
    // Each panel shows once its attempts have come, so every request of the page has been sent.
    await expect.poll(() => page.locator("section.exercise .attempts details").count()).toBe(exercises.length);
    await page.waitForLoadState("networkidle");
    const session = "GET /v1/session";
    expect(asked.filter((request) => request !== session).sort()).toEqual(expected);
    // The page asks for the session; terminal-panel.js may ask too, when it sees the lesson mounted,
    // to decide whether to offer a terminal (it sees it, or not, depending on when its observer runs).
    expect(asked.filter((request) => request === session).length).toBeGreaterThanOrEqual(1);
    expect(asked.filter((request) => request === session).length).toBeLessThanOrEqual(2);
  });
});

describe("navigation", () => {
  it("switches language and remembers it; deep links and the back button work", async () => {
    const page = await signedInPage("carla", 390);
    await page.screenshot({ path: path.join(SCREENSHOTS, "outline-390.png") });
    await page.goto(`${lab.origin}/lessons/ciclo-de-vida-de-un-contenedor#un-contenedor-que-no-termina`);
    await page.locator("#un-contenedor-que-no-termina").waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, "lesson-390.png") });
    expect(await page.locator("#un-contenedor-que-no-termina").isVisible()).toBe(true);
    expect(
      await page.evaluate(() => document.getElementById("un-contenedor-que-no-termina")?.getBoundingClientRect().top),
    ).toBeLessThan(300);
    // What the course corrected from the original tutorial is said in words, in the page's language.
    const corrections = page.locator(".provenance");
    expect(await corrections.count()).toBe(3);
    // They are for teachers: folded, so they do not interrupt a learner's reading.
    expect(await corrections.first().getAttribute("open")).toBeNull();
    expect(await corrections.first().locator("summary").textContent()).toBe(
      "Nota para docentes: corregido respecto al tutorial original",
    );
    expect(await corrections.first().locator("p").textContent()).toMatch(
      /^El tutorial dice que el proceso principal es \/bin\/bash/,
    );

    await page.getByRole("button", { name: "English" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("A container's life cycle");
    await expect.poll(() => page.getByRole("button", { name: "Check" }).count()).toBe(2);
    expect(await corrections.first().locator("summary").textContent()).toBe(
      "Teachers' note: corrected from the original tutorial",
    );
    expect(await corrections.first().locator("p").textContent()).toMatch(
      /^The tutorial says the main process is \/bin\/bash/,
    );
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    await page.reload();
    await expect.poll(() => page.locator("h1").textContent()).toBe("A container's life cycle");
    // The exercises come after the text, each on its own request.
    await expect.poll(() => page.getByRole("button", { name: "Check" }).count()).toBe(2);

    await page.getByRole("link", { name: "Commands", exact: true }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Commands");
    await page.getByRole("link", { name: "docker kill" }).first().click();
    await expect.poll(() => page.url()).toBe(`${lab.origin}/commands/kill`);
    await page.goBack();
    await expect.poll(() => page.url()).toBe(`${lab.origin}/commands`);
    await page.goBack();
    await expect.poll(() => page.locator("h1").textContent()).toBe("A container's life cycle");

    await page.getByLabel("Search the course").fill("volumen");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.url()).toBe(`${lab.origin}/search?q=volumen`);
    await expect.poll(() => page.locator(".search-results li").count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Español" }).click();
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("es");
  });

  it("is usable with the keyboard alone: from the skip link to a graded exercise", async () => {
    const page = await signedInPage("dario");
    const name = `alpine-una-vez-${uniqueSuffix()}`;
    containers.push(name);
    await docker(["run", "--name", name, "alpine"]);
    await page.goto(`${lab.origin}/lessons/modo-interactivo`);
    await page.locator("h1").waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Saltar al contenido");
    await page.keyboard.press("Enter");
    const input = "#exercise-alpine-una-vez-container";
    let presses = 0;
    while (presses < 400 && !(await page.evaluate((selector) => document.activeElement?.matches(selector), input))) {
      await page.keyboard.press("Tab");
      presses++;
    }
    expect(await page.evaluate((selector) => document.activeElement?.matches(selector), input)).toBe(true);
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type(name);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Comprobar");
    await page.keyboard.press("Enter");
    const result = page.locator("#exercise-alpine-una-vez .submission");
    await expect.poll(() => result.getAttribute("data-status")).toBe("passed");
    // The outcome is announced to screen readers, not only drawn.
    expect(await page.locator("#exercise-alpine-una-vez [role=status]").last().textContent()).toMatch(/^¡Superado!/);
  }, 90_000);

  it("has no serious or critical axe violations on any page type, in both themes", async () => {
    const page = await signedInPage("elena");
    const paths = ["/", "/lessons/ciclo-de-vida-de-un-contenedor", "/commands", "/commands/run", "/search?q=imagen"];
    for (const theme of ["light", "dark"]) {
      for (const address of paths) {
        await page.goto(`${lab.origin}${address}`);
        await page.locator("main h1").waitFor();
        if ((await page.locator("html").getAttribute("data-theme")) !== theme)
          await page.locator("#theme-toggle").click();
        expect(await seriousViolations(page), `${theme} ${address}`).toEqual([]);
      }
    }
    // Ten axe runs: 162 s on a busy two-core machine.
  }, 300_000);
});

describe("a link for another learner", () => {
  it("asks before switching, keeps the learner on «stay», switches on the button, and no other site can press it", async () => {
    const page = await signedInPage("gema");
    const me = () => page.evaluate(async () => (await (await fetch("/v1/session")).json()).learnerId);
    expect(await me()).toBe("gema");

    const { url } = await mintSessionLink(lab.t, "hugo");
    await page.goto(url);
    // In the browser's language (Accept-Language): the server cannot read the page's own choice.
    expect(await page.locator("h1").textContent()).toMatch(/^(¿Cambiar de sesión\?|Switch sessions\?)$/);
    expect(await page.locator("main").textContent()).toContain("gema");
    expect(await seriousViolations(page)).toEqual([]);
    await Promise.all([
      page.waitForURL(`${lab.origin}/`),
      page.getByRole("link", { name: /^(Seguir como|Stay as) gema$/ }).click(),
    ]);
    expect(await me()).toBe("gema");

    // A form on any other page posts without this origin: refused, and the browser keeps its learner.
    const other = await lab.browser.context.newPage();
    const token = new URL(url).searchParams.get("token") ?? "";
    await other.setContent(
      `<form method="post" action="${lab.origin}/session"><input name="token" value="${token}"><button>go</button></form>`,
    );
    const [refused] = await Promise.all([other.waitForNavigation(), other.locator("button").click()]);
    expect(refused?.status()).toBe(403);
    await other.close();
    expect(await me()).toBe("gema");

    await page.goto(url);
    await Promise.all([
      page.waitForURL(`${lab.origin}/`),
      page.getByRole("button", { name: /^(Entrar como|Sign in as) hugo$/ }).click(),
    ]);
    await page.locator(".lesson-card").first().waitFor();
    expect(await me()).toBe("hugo");
  });
});

describe("when things go wrong", () => {
  it("an expired session is explained, and the lesson still reads", async () => {
    const page = await lab.browser.context.newPage();
    const watched = watchPage(page);
    const session = await mintSessionLink(lab.t, "fabio");
    await page.goto(session.url);
    await confirmSwitchIfAsked(page);
    await page.locator(".lesson-card").first().waitFor();
    await lab.t.prisma.learnerSession.update({
      where: { id: session.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await page.goto(`${lab.origin}/lessons/ciclo-de-vida-de-un-contenedor`);
    await expect.poll(() => page.locator("#notice").textContent()).toContain("Tu sesión ha caducado");
    expect(await page.locator("h1").textContent()).toBe("Ciclo de vida de un contenedor");
    expect(await exercise(page, "example2-en-segundo-plano").locator(".problem").textContent()).toContain(
      "necesitas una sesión",
    );
    // The one expected failure: GET /v1/session answered 401 session-expired.
    expect(watched.problems.filter((p) => !/401.*\/v1\/session$|status of 401/.test(p))).toEqual([]);
    expect(watched.problems.some((p) => p.includes("401"))).toBe(true);

    // Opening the expired link again lands on the page, which says so too.
    await page.goto(session.url);
    await expect.poll(() => page.locator("#notice").textContent()).toContain("Tu sesión ha caducado");
    expect(page.url()).toBe(`${lab.origin}/`);
    await page.close();
  });

  // It builds a second app on a database of its own before the browser starts: on a loaded machine
  // that alone can take most of the default 30 s.
  it("the engine down is explained in plain words, and nothing is stored", { timeout: 90_000 }, async () => {
    const down = await buildTestApp({
      docker: { host: "unix:///tmp/no-engine-here.sock", timeoutMs: 1000, concurrency: 2 },
    });
    try {
      const downOrigin = await listen(down);
      const page = await lab.browser.context.newPage();
      const watched = watchPage(page);
      const { url } = await mintSessionLink(down, "gala");
      await page.goto(url.replace(/^http:\/\/[^/]+/, downOrigin));
      await page.locator(".lesson-card").first().waitFor();
      await page.goto(`${downOrigin}/lessons/ciclo-de-vida-de-un-contenedor`);
      const panel = exercise(page, "example2-en-segundo-plano");
      await panel.getByRole("button", { name: "Comprobar" }).click();
      await expect.poll(() => panel.locator(".problem").textContent()).toContain("No hemos podido hablar con Docker");
      expect(await panel.locator(".problem").textContent()).toContain("¿Está Docker en marcha?");
      expect(await down.prisma.submission.count()).toBe(0);
      expect(watched.problems.filter((p) => !/503/.test(p))).toEqual([]);
      await page.close();
    } finally {
      await down.close();
    }
  });
});
