import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import request from "supertest";
import { expect } from "vitest";
import type { TestApp } from "../helper.js";
import { CHROMIUM, CHROMIUM_FLAGS } from "../support/chromium.js";

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface BrowserOptions {
  /** Flags beyond CHROMIUM_FLAGS, e.g. tls-sites' hostResolverFlag. */
  args?: string[];
  /** Trust the self-signed certificates of test sites (tls-sites). */
  ignoreHTTPSErrors?: boolean;
  /** The profile's setting "Block third-party cookies", as a user or Safari's defaults set it. */
  blockThirdPartyCookies?: boolean;
}

/**
 * In the test lab, chromium starts in the network namespace the lab keeps for it, which holds only
 * its loopback: in the lab's own namespace every network an engine makes or removes changes an
 * address, and chromium then cancels what it has in flight (net::ERR_NETWORK_CHANGED, a page's
 * module script mid-load, while another test file's Compose project came up). It reaches the
 * servers on the lab's loopback through the lab's SOCKS5 proxy (scripts/loopback-socks.mjs).
 */
async function ownNetwork(profile: string): Promise<{ executablePath: string }> {
  const netns = process.env.TEST_LAB_BROWSER_NETNS;
  if (!netns) return { executablePath: CHROMIUM };
  const launcher = path.join(profile, "chromium-in-own-network");
  await writeFile(launcher, `#!/bin/sh\nexec nsenter --net=${netns} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
  return { executablePath: launcher };
}

/** Every request through the lab's proxy, loopback too, which chromium would otherwise never proxy. */
const proxyFlags = () => {
  const proxy = process.env.TEST_LAB_BROWSER_PROXY;
  return proxy ? [`--proxy-server=${proxy}`, "--proxy-bypass-list=<-loopback>"] : [];
};

/** A chromium with a fresh profile (--user-data-dir), so no test sees another's cookies or storage. */
export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "chromium-profile-"));
  if (options.blockThirdPartyCookies) {
    // chrome://settings/cookies, "Block third-party cookies": cookie_controls_mode 1.
    await mkdir(path.join(profile, "Default"));
    await writeFile(
      path.join(profile, "Default", "Preferences"),
      JSON.stringify({ profile: { cookie_controls_mode: 1, block_third_party_cookies: true } }),
    );
  }
  const context = await chromium.launchPersistentContext(profile, {
    ...(await ownNetwork(profile)),
    args: [...CHROMIUM_FLAGS, ...(options.args ?? []), ...proxyFlags()],
    viewport: { width: 1280, height: 900 },
    permissions: ["clipboard-read", "clipboard-write"],
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** The app listening on a loopback port, as a browser needs it. */
export async function listen(t: TestApp): Promise<string> {
  return t.app.listen({ port: 0, host: "127.0.0.1" });
}

/** A session link minted the way an LMS mints it. */
export async function mintSessionLink(t: TestApp, learnerId: string): Promise<{ id: string; url: string }> {
  const response = await request(t.app.server)
    .post(`/v1/learners/${learnerId}/sessions`)
    .set("authorization", t.auth)
    .send({});
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

/**
 * Everything that went wrong on a page: console errors, uncaught exceptions, failed requests (not
 * those the test's own navigation cancelled) and error statuses. A test that expects one (a 503, a 401) says which, and every other must be absent.
 */
export function watchPage(page: Page): { problems: string[] } {
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`exception: ${error.message}`));
  page.on("requestfailed", (req) => {
    // A request still in flight when the test moves the page on is cancelled by Chromium itself
    // (net::ERR_ABORTED): the page did nothing wrong. A server that fails shows as a status or as
    // another net:: error.
    const error = req.failure()?.errorText;
    if (error !== "net::ERR_ABORTED") problems.push(`failed: ${req.url()} ${error}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`status ${response.status()}: ${response.url()}`);
  });
  return { problems };
}

/** axe-core's serious and critical violations, in words a failing test can print. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`);
}

/**
 * Where the browser tests save what they saw. docs/screenshots only when asked
 * (UPDATE_SCREENSHOTS=1): a pixel of font rendering otherwise left every test run with a dirty tree.
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, "../../docs/screenshots")
  : path.join(os.tmpdir(), "aprendiendo-screenshots");
