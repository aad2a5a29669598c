import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS } from "../test/support/chromium.js";
import type { BenchContext } from "./lesson.js";
import { log } from "./support/processes.js";
import { markdownTable } from "./support/report.js";

const LESSON = "ciclo-de-vida-de-un-contenedor";
const JS_BUDGET_KB = 60;
const FIRST_PAINT_BUDGET_MS = 1000;

interface ColdLoad {
  firstContentfulPaintMs: number;
  scriptBytesGzipped: number;
}

/**
 * The learner's lesson page in a real chromium, each load with a new, empty profile (a cold cache):
 * first contentful paint and the JavaScript it loads, gzipped, against a baseline measured in the
 * same run: the same browser painting a static HTML page with the lesson's title and no script.
 */
export async function benchPage(context: BenchContext) {
  const lessonUrl = `http://127.0.0.1:${context.service.port}/lessons/${LESSON}`;
  const baseline = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(`<!doctype html><html lang="es"><title>${LESSON}</title><h1>Ciclo de vida de un contenedor</h1>`);
  });
  await new Promise<void>((resolve) => baseline.listen(0, "127.0.0.1", resolve));
  const baselineUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;
  try {
    const page: ColdLoad[] = [];
    const bare: ColdLoad[] = [];
    for (let round = 1; round <= context.rounds; round++) {
      bare.push(await coldLoad(baselineUrl));
      page.push(await coldLoad(lessonUrl));
      log(
        `page round ${round}: lesson FCP ${page.at(-1)?.firstContentfulPaintMs} ms, bare ${bare.at(-1)?.firstContentfulPaintMs} ms`,
      );
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const fcp = median(page.map((load) => load.firstContentfulPaintMs));
    const bareFcp = median(bare.map((load) => load.firstContentfulPaintMs));
    const scriptKb = median(page.map((load) => load.scriptBytesGzipped)) / 1024;
    const rows = [
      [
        "first contentful paint, cold (ms)",
        fcp.toFixed(0),
        bareFcp.toFixed(0),
        `≤ ${FIRST_PAINT_BUDGET_MS}`,
        fcp <= FIRST_PAINT_BUDGET_MS ? "met" : "NOT MET",
      ],
      [
        "JavaScript, gzipped (KB)",
        scriptKb.toFixed(1),
        "0",
        `≤ ${JS_BUDGET_KB}`,
        scriptKb <= JS_BUDGET_KB ? "met" : "NOT MET",
      ],
    ];
    const table = `\nThe learner's lesson page (${LESSON}), median of ${context.rounds} cold loads in chromium\n${markdownTable(
      ["measure", "lesson page", "static HTML baseline", "budget", "met?"],
      rows,
    )}`;
    return { name: "page", lesson: LESSON, page, bare, table };
  } finally {
    baseline.close();
  }
}

async function coldLoad(url: string): Promise<ColdLoad> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "bench-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  try {
    const tab = browser.pages()[0] ?? (await browser.newPage());
    const scripts: Promise<number>[] = [];
    tab.on("response", (response) => {
      if (response.request().resourceType() === "script") {
        scripts.push(response.body().then((body) => gzipSync(body).length));
      }
    });
    await tab.goto(url, { waitUntil: "networkidle" });
    const scriptBytesGzipped = (await Promise.all(scripts)).reduce((sum, bytes) => sum + bytes, 0);
    const firstContentfulPaintMs = await tab.evaluate(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
    );
    return { firstContentfulPaintMs: Math.round(firstContentfulPaintMs), scriptBytesGzipped };
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}
