/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { docker } from "../docker/learner-shell.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { type Browser, launchBrowser, listen, mintSessionLink, watchPage } from "./browser.js";

/**
 * The app on a loopback port and one chromium, for a test file whose learners sign in through an
 * LMS's session link; call it once, at the top of the file. It starts both before the file's tests
 * and, after each test, closes the pages `signedInPage` opened: none may have shown a problem
 * (watchPage). The containers a test adds to `containers` are removed after the file's last test.
 */
export function useLearnerBrowser() {
  let t: TestApp;
  let browser: Browser;
  let origin: string;
  const containers: string[] = [];
  const pages: { page: Page; problems: string[] }[] = [];

  beforeAll(async () => {
    t = await buildTestApp();
    origin = await listen(t);
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    // No console errors and no failed requests, on every page of the tests that expect none.
    for (const { page, problems } of pages.splice(0)) {
      // The profile is shared by the file's tests: each starts in Spanish, in the light theme.
      await page.evaluate(() => localStorage.clear());
      await page.close();
      expect(problems).toEqual([]);
    }
  });
  afterAll(async () => {
    if (containers.length > 0) await docker(["rm", "-f", ...containers]).catch(() => {});
    await browser?.close();
    await t?.close();
  });

  /** Clicks the button of the page that asks before switching learners, when the link showed it. */
  async function confirmSwitchIfAsked(page: Page): Promise<void> {
    const switchTo = page.locator('form[action="/session"] button');
    if ((await switchTo.count()) > 0) await Promise.all([page.waitForURL(`${origin}/`), switchTo.click()]);
  }

  /** A new tab of this size, signed in as this learner through the session link, on the course outline. */
  async function signedInPage(learnerId: string, width = 1280, height = 900): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    pages.push({ page, problems: watchPage(page).problems });
    const { url } = await mintSessionLink(t, learnerId);
    await page.goto(url);
    // The profile is shared by the file's tests: one signed in as another learner is asked first.
    await confirmSwitchIfAsked(page);
    expect(new URL(page.url()).search).toBe(""); // the token left the address bar
    await page.locator(".lesson-card").first().waitFor();
    return page;
  }

  return {
    get t() {
      return t;
    },
    get browser() {
      return browser;
    },
    /** Where the app listens, e.g. http://127.0.0.1:40123. */
    get origin() {
      return origin;
    },
    containers,
    confirmSwitchIfAsked,
    signedInPage,
  };
}
