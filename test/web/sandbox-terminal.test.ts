/// <reference lib="dom" />
// The functions passed to page.evaluate run in the browser, where these globals exist.
import type { FrameLocator, Page } from "playwright-core";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostedSandboxProvider } from "../../src/sandbox/sandbox-provider.js";
import { buildTestApp, type TestApp } from "../helper.js";
import {
  makeConsoleImage,
  type SandboxHostFixture,
  startProvider,
  startSandboxHost,
} from "../sandbox/sandbox-host-fixture.js";
import { type Browser, launchBrowser, listen, mintSessionLink, seriousViolations, watchPage } from "./browser.js";

/**
 * Two learners in real chromiums, each with a sandbox of their own and its terminal in the lesson:
 * the one who types the lesson's docker run passes Check, and the other's terminal does not see it.
 */
let host: SandboxHostFixture;
let provider: HostedSandboxProvider;
let t: TestApp;
let origin: string;
const browsers: Browser[] = [];

beforeAll(async () => {
  host = await startSandboxHost({ max: 2, moreImages: [await makeConsoleImage()] });
  provider = await startProvider(host, 2);
  t = await buildTestApp({}, { sandboxProvider: provider });
  origin = await listen(t);
}, 180_000);

afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await t?.close();
  await provider?.close();
  await host?.close();
}, 120_000);

const LESSON = "/lessons/ciclo-de-vida-de-un-contenedor";

/** A learner's own chromium (its own profile and cookie), signed in, on the lesson, its terminal ready. */
async function learnerAtLesson(learnerId: string) {
  const browser = await launchBrowser();
  browsers.push(browser);
  const page = await browser.context.newPage();
  const { problems } = watchPage(page);
  const { url } = await mintSessionLink(t, learnerId);
  await page.goto(url);
  await page.locator(".lesson-card").first().waitFor();
  await page.goto(`${origin}${LESSON}`);
  // xterm.js draws only while the terminal is on screen.
  await page.locator(".terminal-frame").scrollIntoViewIfNeeded();
  const terminal = page.frameLocator(".terminal-frame");
  // The shell's prompt ("~ # ", trimmed) says the exec with a TTY is up.
  await expect
    .poll(async () => `${await screen(terminal)}\n${await statusOf(terminal)}\n${problems.join("\n")}`, {
      timeout: 90_000,
      interval: 250,
    })
    .toMatch(/^\S* #$/m);
  return { page, terminal, problems };
}

/** What the terminal's status line says, when it shows. */
async function statusOf(terminal: FrameLocator): Promise<string> {
  const status = terminal.locator("#terminal-status:not([hidden])");
  return (await status.count()) > 0 ? `status: ${await status.textContent()}` : "";
}

/** What the terminal shows, row by row, trailing blanks trimmed. */
async function screen(terminal: FrameLocator): Promise<string> {
  const rows = await terminal.locator(".xterm-rows > div").allTextContents();
  return rows.map((row) => row.replace(/\s+$/, "")).join("\n");
}

async function typeInTerminal(page: Page, terminal: FrameLocator, text: string) {
  await terminal.locator(".xterm").click();
  await page.keyboard.type(text);
  await page.keyboard.press("Enter");
}

describe("the lesson's terminal, in a sandbox of the learner's own", () => {
  it("runs what the learner types, Check passes on it, and another learner's terminal does not see it", async () => {
    const ana = await learnerAtLesson("ana");
    expect(await seriousViolations(ana.page)).toEqual([]); // the lesson with its terminal and buttons
    // The button beside the lesson's command puts it in the terminal, and runs nothing.
    const block = ana.page.locator(".code", { hasText: "$ docker run --name example2 -d alpine" }).first();
    await block.getByRole("button", { name: /^Poner en el terminal: docker run --name example2/ }).click();
    await expect
      .poll(() => screen(ana.terminal), { timeout: 15_000 })
      .toContain("# docker run --name example2 -d alpine tail -f /dev/null");
    await ana.page.keyboard.press("Control+U"); // the learner clears the line instead of running it

    // Typed, as the learner does.
    await typeInTerminal(ana.page, ana.terminal, "docker run -d --name example2 alpine tail -f /dev/null");
    await expect.poll(() => screen(ana.terminal), { timeout: 60_000 }).toMatch(/^[0-9a-f]{64}$/m);

    const panel = ana.page.locator("#exercise-example2-en-segundo-plano");
    const name = panel.getByLabel("Nombre del contenedor");
    if ((await name.count()) > 0) await name.fill("example2");
    await panel.getByRole("button", { name: "Comprobar" }).click();
    await expect
      .poll(() => panel.locator(".submission").getAttribute("data-status"), { timeout: 60_000 })
      .toBe("passed");

    // Round trip of one keystroke: the page sends it, the shell echoes it, xterm draws it.
    const latencies: number[] = [];
    await ana.terminal.locator(".xterm").click();
    for (let i = 1; i <= 20; i++) {
      const started = performance.now();
      await ana.page.keyboard.type("x");
      await expect
        .poll(() => screen(ana.terminal), { interval: 5, timeout: 15_000 })
        .toMatch(new RegExp(`# x{${i}}$`, "m"));
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `terminal keystroke round trip over 20: p50 ${latencies[10]?.toFixed(0)} ms, max ${latencies[19]?.toFixed(0)} ms`,
    );
    await ana.page.keyboard.press("Control+U");

    // Resize: a narrower page makes a narrower terminal, and the shell's TTY is told (stty size: rows cols).
    const size = async () => {
      await typeInTerminal(ana.page, ana.terminal, "echo size=$(stty size)");
      await expect.poll(() => screen(ana.terminal), { timeout: 15_000 }).toMatch(/^size=\d+ \d+$/m);
      const sizes = (await screen(ana.terminal)).match(/^size=(\d+) (\d+)$/gm) ?? [];
      await typeInTerminal(ana.page, ana.terminal, "clear");
      // Until the shell prompts again, it may discard what is typed ahead: a paste would lose its start.
      await expect.poll(async () => (await screen(ana.terminal)).trim(), { timeout: 15_000 }).toMatch(/^\S* #$/);
      return (sizes.at(-1) ?? "").replace("size=", "").split(" ").map(Number);
    };
    const [, wideCols] = await size();
    await ana.page.setViewportSize({ width: 700, height: 900 });
    await ana.page.locator(".terminal-frame").scrollIntoViewIfNeeded();
    const [, narrowCols] = await size();
    expect(narrowCols).toBeGreaterThan(10);
    expect(narrowCols).toBeLessThan(wideCols ?? 0);

    // Paste: Ctrl+Shift+V pastes the clipboard once, to be run with Enter.
    await ana.page.evaluate(() => navigator.clipboard.writeText("echo pasted-$((20+22))"));
    await ana.terminal.locator(".xterm").click();
    await ana.page.keyboard.press("Control+Shift+V");
    await ana.page.keyboard.press("Enter");
    await expect.poll(() => screen(ana.terminal), { timeout: 15_000 }).toMatch(/^pasted-42$/m);
    expect(await screen(ana.terminal)).toContain("# echo pasted-$((20+22))\n");

    // The terminal's CLI has Compose v2, as docker:cli does.
    await typeInTerminal(ana.page, ana.terminal, "docker compose version");
    await expect.poll(() => screen(ana.terminal), { timeout: 15_000 }).toMatch(/^Docker Compose version v?2\./m);

    // Copy: a double-click selects the output's word, Ctrl+Shift+C puts it on the clipboard.
    await ana.page.evaluate(() => navigator.clipboard.writeText("nothing copied yet"));
    const outputRow = ana.terminal.locator(".xterm-rows > div", { hasText: /^pasted-42\s*$/ }).last();
    // xterm takes the mouse on the screen above its rows: the double-click lands there, at the row's place.
    await outputRow.dblclick({ position: { x: 12, y: 6 }, force: true });
    await ana.page.keyboard.press("Control+Shift+C");
    await expect.poll(() => ana.page.evaluate(() => navigator.clipboard.readText())).toBe("pasted-42");

    const bea = await learnerAtLesson("bea");
    await typeInTerminal(bea.page, bea.terminal, "docker ps -a --format 'name={{.Names}}'; echo listed-$((6*7))");
    await expect.poll(() => screen(bea.terminal), { timeout: 60_000 }).toMatch(/^listed-42$/m);
    const listed = (await screen(bea.terminal)).split("\n").filter((row) => row.startsWith("name="));
    expect(listed).toEqual(["name=aprendiendo-terminal"]); // her own terminal's container, and nothing of ana's

    // Her sandbox reaped (here: destroyed through the API), her terminal says so and offers a new one.
    await request(t.app.server).delete("/v1/learners/bea/sandbox").set("authorization", t.auth).expect(204);
    await expect
      .poll(() => bea.page.frameLocator(".terminal-frame").locator("#terminal-status").textContent(), {
        timeout: 60_000,
      })
      .toContain("Tu sandbox se eliminó");

    expect(ana.problems).toEqual([]);
  }, 600_000);

  it("refuses a terminal opened from another site's page, and one for a learner without a sandbox", async () => {
    const session = await request(t.app.server)
      .post("/v1/learners/carla/sessions")
      .set("authorization", t.auth)
      .send({})
      .expect(201);
    const token: string = session.body.token;
    const upgrade = (headers: Record<string, string>) =>
      request(t.app.server)
        .get("/v1/learners/carla/sandbox/terminal")
        .set({ connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", ...headers })
        .set("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .set("authorization", `Bearer ${token}`);
    const me = await request(t.app.server).get("/v1/session").set("authorization", `Bearer ${token}`).expect(200);
    expect(me.body.sandboxes).toBe(true); // what tells the lesson page to show a terminal
    const noSandbox = await upgrade({});
    expect(noSandbox.status).toBe(404);
    const crossSite = await upgrade({ origin: "https://elsewhere.example" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.type).toMatch(/session-refused$/);
  });

  it("lets only the terminal's own page apply inline styles, and only this origin frame it", async () => {
    const terminalPage = await request(t.app.server).get("/terminal").expect(200);
    const policy = String(terminalPage.headers["content-security-policy"]);
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).toContain("frame-ancestors 'self'");
    const lesson = await request(t.app.server).get(LESSON).expect(200);
    expect(lesson.headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(lesson.headers["content-security-policy"]).toContain("frame-src 'self'");
    await request(t.app.server).get("/app/terminal.html").expect(404);
    const xterm = await request(t.app.server).get("/app/xterm.js").expect(200);
    expect(xterm.text).toContain("export{");
    expect(xterm.text).not.toContain("sourceMappingURL");
  });
});
