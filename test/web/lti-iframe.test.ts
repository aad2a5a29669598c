/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import { randomBytes } from "node:crypto";
import type { Frame, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";
import {
  INSTRUCTOR,
  type LaunchSpec,
  LEARNER,
  type LineItem,
  type LtiPlatformDouble,
  placedLaunch,
  placeThrough,
  registerWithTool,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { hostResolverFlag, startTlsSites, type TlsSites } from "../support/tls-sites.js";
import { type Browser, launchBrowser, watchPage } from "./browser.js";

/**
 * Launches inside the LMS's iframe, in a chromium that blocks third-party cookies (issue 25, item 2).
 * The LMS and the tool are two sites over https (lms.test and tool.test): the course page frames the
 * tool's login, the platform's authorization posts the id_token back inside the frame, and the tool
 * answers there. Each launch is made twice: once by a platform that offers its client-side storage
 * (lti_storage_target), where the tool keeps the login's state in the platform's frame and sets no
 * state cookie, and once by a platform that does not, where the tool's partitioned cookie, one per
 * login, holds it. A learner's two tool links on one page launch at once, and both land signed in.
 */
const QUESTIONS = "preguntas-que-es-docker";
const CONTAINER = "alpine-una-vez";
const COURSE = "docker-101";
/** An ordinary cross-site cookie of the tool's site: the browser must not send it inside the LMS's frame. */
const UNPARTITIONED = "unpartitioned_probe";
let t: TestApp;
let sites: TlsSites;
let browser: Browser;
let platform: LtiPlatformDouble;
let lmsOrigin: string;
let toolOrigin: string;
const placed = new Map<string, LineItem>();
vi.setConfig({ testTimeout: 90_000 });

const placementLaunch = (spec: LaunchSpec, exercise: string) => placedLaunch(placed, spec, exercise);

/**
 * Platform storage as the LMS's page keeps it (lti.capabilities, lti.put_data, lti.get_data), per
 * origin of the frame that asks. Every message is logged for the test, and `tamper` answers every
 * read with another login's state, as a page an attacker framed would hold.
 */
const STORAGE_SCRIPT = `
  window.storageLog = [];
  const kept = new Map();
  const tamper = new URLSearchParams(location.search).has("tamper");
  window.addEventListener("message", (event) => {
    const message = event.data;
    if (typeof message !== "object" || message === null || typeof message.subject !== "string") return;
    window.storageLog.push({ subject: message.subject, origin: event.origin, key: message.key });
    const answer = { subject: message.subject + ".response", message_id: message.message_id };
    const slot = event.origin + " " + message.key;
    if (message.subject === "lti.capabilities") {
      answer.supported_messages = [{ subject: "lti.put_data" }, { subject: "lti.get_data" }];
    } else if (message.subject === "lti.put_data") {
      kept.set(slot, message.value);
      Object.assign(answer, { key: message.key, value: message.value });
    } else if (message.subject === "lti.get_data") {
      const value = tamper ? "another-login" : kept.get(slot);
      Object.assign(answer, value === undefined
        ? { error: { code: "bad_request", message: "no value for this key" } }
        : { key: message.key, value });
    } else return;
    event.source.postMessage(answer, event.origin);
  });`;

/** The course page of the LMS: one iframe per tool link, each starting the tool's login as a platform does. */
function coursePage(links: { frame: string; messageHint: string }[], storage: boolean): string {
  const frames = links.map(({ frame, messageHint }) => {
    const login = new URL(`${toolOrigin}/lti/login`);
    login.search = new URLSearchParams({
      iss: platform.issuer,
      login_hint: "user",
      target_link_uri: `${toolOrigin}/lti/launch`,
      client_id: platform.clientId,
      lti_message_hint: messageHint,
      ...(storage ? { lti_storage_target: "_parent" } : {}),
    }).toString();
    return `<iframe name="${frame}" title="${frame}" width="900" height="600" src="${login}"></iframe>`;
  });
  return `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Curso</title></head><body>
<h1>${COURSE}</h1>${frames.join("\n")}<script>${STORAGE_SCRIPT}</script></body></html>`;
}

/** Opens a course page built for this test: the platform serves it as its own. */
async function openCourse(page: Page, links: { frame: string; launch: LaunchSpec }[], storage: boolean, query = "") {
  const id = `/course/${randomBytes(6).toString("hex")}`;
  const hinted = links.map(({ frame, launch }, index) => {
    const messageHint = `${id}-${index}`;
    platform.launchesByMessageHint.set(messageHint, launch);
    return { frame, messageHint };
  });
  platform.storageTarget = storage ? "_parent" : undefined;
  platform.pages.set(id, coursePage(hinted, storage));
  await page.goto(`${lmsOrigin}${id}${query}`);
}

function frameNamed(page: Page, name: string): Frame {
  const frame = page.frame({ name });
  if (!frame) throw new Error(`no frame ${name}`);
  return frame;
}

/** A learner's lesson in the frame, signed in: its progress ("… superados", "… passed") needs the session. */
async function signedInLesson(frame: Frame) {
  await frame.waitForURL(/\/lessons\//);
  await expect
    .poll(() => frame.locator("#lesson-progress").textContent(), { timeout: 30_000 })
    .toMatch(/superado|passed/);
}

/** Everything the tool's site answered the page and its frames, to read the cookies it set and the browser sent. */
function watchTool(page: Page) {
  const setCookies: string[] = [];
  const sentCookies: string[] = [];
  // The page's own files are still loading when a test closes it, and Playwright can no longer read
  // their headers then: those requests are left out; any other failure to read one fails the run.
  const unlessClosed = (error: unknown) => {
    if (!String(error).includes("has been closed")) throw error;
  };
  page.on("response", (response) => {
    if (!response.url().startsWith(toolOrigin)) return;
    response.headerValue("set-cookie").then((header) => {
      if (header) setCookies.push(...header.split("\n"));
    }, unlessClosed);
  });
  page.on("request", (sent) => {
    if (!sent.url().startsWith(toolOrigin)) return;
    sent.headerValue("cookie").then((cookies) => sentCookies.push(cookies ?? ""), unlessClosed);
  });
  return { setCookies, sentCookies };
}

beforeAll(async () => {
  platform = await startLtiPlatform();
  platform.autoPost = true;
  sites = await startTlsSites();
  lmsOrigin = (await sites.front("lms", platform.issuer)).origin;
  // The browser reaches the platform's authorization on the LMS's site; the tool reaches its keys directly.
  platform.authUrl = `${lmsOrigin}/auth`;
  t = await buildTestApp({ secretsKey: randomBytes(32), trustProxy: true, frameAncestors: [lmsOrigin] });
  const toolHttp = await t.app.listen({ port: 0, host: "127.0.0.1" });
  platform.trustTool(`${toolHttp}/lti/jwks`);
  toolOrigin = (await sites.front("tool", toolHttp)).origin;
  await registerWithTool(t, platform);
  const jwt = await placeThrough(t.app.server, platform, [`exercise:${QUESTIONS}`, `exercise:${CONTAINER}`], {
    deepLinking: { acceptMultiple: true },
  });
  for (const item of await platform.returnDeepLinks(jwt, COURSE)) placed.set(item.resourceId, item);
  browser = await launchBrowser({ args: [hostResolverFlag], ignoreHTTPSErrors: true, blockThirdPartyCookies: true });
  await browser.context.addCookies([
    {
      name: UNPARTITIONED,
      value: "1",
      domain: new URL(toolOrigin).hostname,
      path: "/",
      secure: true,
      sameSite: "None",
    },
  ]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await sites?.close();
  await platform?.close();
});

describe.each([
  { storage: false, holder: "a partitioned cookie per login" },
  { storage: true, holder: "the platform's storage, and no cookie" },
])("in the LMS's iframe with third-party cookies blocked, the state held by $holder", ({ storage }) => {
  it("a learner's two tool links on one course page launch at once, and both land signed in", async () => {
    const page = await browser.context.newPage();
    const watched = watchPage(page);
    const tool = watchTool(page);
    const learner = `u-ana-${storage ? "storage" : "cookie"}`;
    await openCourse(
      page,
      [
        { frame: "questions", launch: placementLaunch({ sub: learner, roles: [LEARNER] }, QUESTIONS) },
        { frame: "container", launch: placementLaunch({ sub: learner, roles: [LEARNER] }, CONTAINER) },
      ],
      storage,
    );
    await Promise.all([signedInLesson(frameNamed(page, "questions")), signedInLesson(frameNamed(page, "container"))]);

    // Third-party cookies were blocked: the tool's ordinary cookie never went with a framed request.
    expect(tool.sentCookies.length).toBeGreaterThan(0);
    expect(tool.sentCookies.filter((cookies) => cookies.includes(UNPARTITIONED))).toEqual([]);
    const stateCookies = tool.setCookies.filter(
      (cookie) => cookie.startsWith("lti_state_") && !cookie.includes("Max-Age=0"),
    );
    const storageLog = await page.evaluate(
      () => (window as unknown as { storageLog: { subject: string; origin: string }[] }).storageLog,
    );
    if (storage) {
      expect(stateCookies).toEqual([]);
      expect(
        storageLog
          .filter((entry) => entry.origin === toolOrigin)
          .map((entry) => entry.subject)
          .sort(),
      ).toEqual(["lti.get_data", "lti.get_data", "lti.put_data", "lti.put_data"]);
    } else {
      expect(stateCookies).toHaveLength(2);
      expect(stateCookies.every((cookie) => /; Partitioned/i.test(cookie))).toBe(true);
      expect(storageLog).toEqual([]);
    }
    expect(watched.problems).toEqual([]);
    await page.close();
  });

  it("a teacher's launch lands on the class page", async () => {
    const page = await browser.context.newPage();
    const watched = watchPage(page);
    await openCourse(
      page,
      [{ frame: "class", launch: placementLaunch({ sub: "u-profe", roles: [INSTRUCTOR], locale: "es" }, QUESTIONS) }],
      storage,
    );
    const frame = frameNamed(page, "class");
    await expect
      .poll(
        () =>
          frame
            .locator("main h1")
            .textContent()
            .catch(() => null),
        { timeout: 30_000 },
      )
      .toBe(`Tu clase: ${COURSE}`);
    expect(watched.problems).toEqual([]);
    await page.close();
  });
});

it("a launch whose state the platform's storage does not hold is refused inside the frame, in words", async () => {
  const page = await browser.context.newPage();
  await openCourse(
    page,
    [{ frame: "forged", launch: placementLaunch({ sub: "u-bruno", roles: [LEARNER] }, QUESTIONS) }],
    true,
    "?tamper",
  );
  const frame = frameNamed(page, "forged");
  await expect
    .poll(
      () =>
        frame
          .locator("#status")
          .textContent()
          .catch(() => null),
      { timeout: 30_000 },
    )
    .toMatch(/No pudimos confirmar que este navegador empezó a abrir la actividad|We could not confirm/);
  expect(await frame.locator("form#launch").count()).toBe(1);
  expect(new URL(frame.url()).pathname).toBe("/lti/launch");
  // Nothing was signed in: the learner was never made.
  expect(await t.prisma.ltiLearner.count({ where: { sub: "u-bruno" } })).toBe(0);
  await page.close();
});
