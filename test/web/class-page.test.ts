/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import type { Page } from "playwright-core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, type TestApp } from "../helper.js";
import {
  INSTRUCTOR,
  type LaunchSpec,
  LEARNER,
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  placedLaunch,
  placeThrough,
  registerWithTool,
  serveTool,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { answersScoring } from "../support/question-answers.js";
import { type Browser, launchBrowser, SCREENSHOTS, watchPage } from "./browser.js";

/**
 * The teacher's class page in a real chromium (issue 25, item 4): a teacher's launch from a course
 * whose platform offers NRPS, through the tool's login and the platform's form post as a browser does
 * them, lands on the class of the course with its whole roster, a learner who never launched included.
 * The page is checked as a teacher reads it, by axe-core, and photographed at desktop and phone widths.
 */
const QUESTIONS = "preguntas-que-es-docker";
const CONTAINER = "alpine-una-vez";
const COURSE = "docker-101";
let t: TestApp;
let browser: Browser;
let origin: string;
let platform: LtiPlatformDouble;
let lms: { id: string; auth: string };
const placed = new Map<string, LineItem>();
vi.setConfig({ testTimeout: 90_000 });

/** A launch of an exercise's placement in the course, as `spec` says. */
const placementLaunch = (spec: LaunchSpec, exercise = QUESTIONS) => placedLaunch(placed, spec, exercise);

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ secretsKey: randomBytes(32) });
  origin = await serveTool(t.app, platform);
  lms = await registerWithTool(t, platform);
  const jwt = await placeThrough(t.app.server, platform, [`exercise:${QUESTIONS}`, `exercise:${CONTAINER}`], {
    deepLinking: { acceptMultiple: true },
  });
  for (const item of await platform.returnDeepLinks(jwt, COURSE)) placed.set(item.resourceId, item);
  platform.rosters.set(COURSE, [
    { user_id: "u-ana", roles: [LEARNER], name: "Ana Ruiz" },
    { user_id: "u-bruno", roles: [LEARNER], given_name: "Bruno", family_name: "Sáez" },
    { user_id: "u-carla", roles: [LEARNER], name: "Carla Gil" },
    { user_id: "u-profe", roles: [INSTRUCTOR], name: "Marta Docente" },
  ]);
  platform.rosterPageSize = 2;
  // Ana passes the questions at her second attempt and opens the container exercise; Bruno tries the
  // questions once; Carla never opens the tool.
  const opened = await launchThrough(
    t.app.server,
    platform,
    placementLaunch({ sub: "u-ana", roles: [LEARNER] }, CONTAINER),
  );
  expect(opened.status, opened.text).toBe(303);
  for (const [sub, tries] of [
    ["u-ana", [1, 3]],
    ["u-bruno", [1]],
  ] as const) {
    const landed = await launchThrough(t.app.server, platform, placementLaunch({ sub, roles: [LEARNER] }));
    expect(landed.status, landed.text).toBe(303);
    for (const right of tries) {
      await request(t.app.server)
        .post(`/v1/exercises/${QUESTIONS}/submissions`)
        .set("authorization", lms.auth)
        .send({
          learnerId: learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub),
          answers: answersScoring(right),
        })
        .expect(201);
    }
  }
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await platform?.close();
});

/**
 * The teacher's launch as their browser makes it: the tool's login redirects to the platform, whose
 * page posts the id_token back to the tool's launch URL. Loaded top-level: the page may be framed by
 * the platform, but nothing on it needs the frame.
 */
async function teacherLaunch(page: Page) {
  platform.nextLaunch = placementLaunch({ sub: "u-profe", roles: [INSTRUCTOR], locale: "es" });
  const login = new URL(`${origin}/lti/login`);
  for (const [name, value] of Object.entries({
    iss: platform.issuer,
    login_hint: "u-profe",
    target_link_uri: `${origin}/lti/launch`,
    client_id: platform.clientId,
  })) {
    login.searchParams.set(name, value);
  }
  await page.goto(login.toString());
  expect(new URL(page.url()).origin).toBe(new URL(platform.issuer).origin);
  await Promise.all([
    page.waitForURL(`${origin}/lti/launch`),
    page.evaluate(() => (document.querySelector("form") as HTMLFormElement).submit()),
  ]);
  await page.locator("main h1").waitFor();
}

/** A table's body as text, one array of cells per row, its row header first. */
async function tableRows(page: Page, caption: string): Promise<string[][]> {
  const table = page.locator("table", { has: page.locator("caption", { hasText: new RegExp(`^${caption}`) }) });
  return table
    .locator("tbody tr")
    .evaluateAll((rows) =>
      rows.map((row) => Array.from(row.querySelectorAll("th, td")).map((cell) => (cell.textContent ?? "").trim())),
    );
}

describe("the class page of a course with NRPS", () => {
  it("lists the whole roster, a learner who never launched as not started; axe-clean at 1280 and 390 px", async () => {
    const page = await browser.context.newPage();
    const watched = watchPage(page);
    await teacherLaunch(page);
    expect(await page.locator("h1").textContent()).toBe(`Tu clase: ${COURSE}`);
    expect(await page.locator("main").textContent()).toContain(
      "Este curso tiene 3 estudiantes; 2 han abierto la actividad.",
    );

    const exercises = await tableRows(page, "Cada ejercicio");
    expect(exercises.map((row) => row.slice(0, 5))).toEqual([
      ["Preguntas: ¿qué es Docker?", "1", "1", "1", "2"],
      ["Ejecuta alpine una vez", "0", "0", "3", "—"],
    ]);
    expect(await tableRows(page, "Cada estudiante")).toEqual([
      ["Ana Ruiz", "Aprobado: 3/3, 2 intentos", "Sin empezar: 0/6, 0 intentos"],
      ["Bruno Sáez", "Intentado, sin aprobar: 1/3, 1 intento", "Sin empezar: 0/6, 0 intentos"],
      ["Carla Gil", "Sin empezar: 0/3, 0 intentos", "Sin empezar: 0/6, 0 intentos"],
    ]);
    expect(await page.locator("main").textContent()).not.toContain("Marta Docente");

    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.map((violation) => `${violation.id}: ${violation.help}`)).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, "class-page-1280.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    expect((await new AxeBuilder({ page }).analyze()).violations.map((violation) => violation.id)).toEqual([]);
    // At a phone's width the page does not scroll sideways: only a table does, inside its own region.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SCREENSHOTS, "class-page-390.png"), fullPage: true });
    expect(watched.problems).toEqual([]);
    await page.close();
  });
});
