import { writeFile } from "node:fs/promises";
import path from "node:path";
import { findFreePort } from "../src/runtime/find-free-port.js";
import { type LoadResult, measureInRounds } from "./support/load.js";
import { type NginxServer, startNginx } from "./support/nginx.js";
import { log, type MeasuredProcess, startNodeProcess } from "./support/processes.js";
import { printTable, type Ratio, ratio, type TargetRow } from "./support/report.js";

export interface BenchContext {
  directory: string;
  connections: number;
  /** Seconds per target per round. */
  durationSeconds: number;
  rounds: number;
  /** The service under test, already started on its own database. */
  service: MeasuredProcess;
  /** SQL statements the service has sent so far. */
  statements: () => number;
}

/**
 * GET /v1/lessons/{slug} against the same bytes from a bare Fastify route and from nginx,
 * and against its own 304 answer, one after another in this run.
 */
export async function benchLessons(context: BenchContext) {
  const base = `http://127.0.0.1:${context.service.port}`;
  const outline = (await (await fetch(`${base}/v1/lessons?lang=es`)).json()) as {
    modules: { lessons: { slug: string }[] }[];
  };
  const slugs = outline.modules.flatMap((m) => m.lessons.map((l) => l.slug));
  // The largest lesson: the one whose bytes cost most to send.
  let chosen = { slug: "", body: Buffer.alloc(0), etag: "" };
  for (const slug of slugs) {
    const response = await fetch(`${base}/v1/lessons/${slug}?lang=es`);
    const body = Buffer.from(await response.arrayBuffer());
    if (body.length > chosen.body.length) chosen = { slug, body, etag: response.headers.get("etag") ?? "" };
  }
  if (!chosen.etag) throw new Error("the lesson has no ETag");
  const url = `${base}/v1/lessons/${chosen.slug}?lang=es`;
  log(`lesson "${chosen.slug}": ${chosen.body.length} bytes, ETag ${chosen.etag}`);
  const file = path.join(context.directory, "lesson.json");
  await writeFile(file, chosen.body);

  const bare = await startNodeProcess({
    name: "bare-fastify",
    entry: "bench/baselines/bare-fastify.ts",
    env: { BENCH_BODY_FILE: file, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
    port: await findFreePort(),
    readyPath: "/lesson",
    logFile: path.join(context.directory, "bare-fastify.log"),
  });
  let nginx: NginxServer | undefined;
  let results: LoadResult[];
  try {
    nginx = await startNginx({ directory: context.directory, file, port: await findFreePort() });
    const bareUrl = `http://127.0.0.1:${bare.port}/lesson`;
    const nginxUrl = `http://127.0.0.1:${nginx.port}/lesson`;
    await expectSameBytes(bareUrl, chosen.body);
    await expectSameBytes(nginxUrl, chosen.body);
    results = await measureInRounds(
      [
        { target: "service 200", url, expectStatus: 200, process: context.service },
        {
          target: "service 304 (If-None-Match)",
          url,
          headers: { "if-none-match": chosen.etag },
          expectStatus: 304,
          process: context.service,
        },
        { target: "bare Fastify, same bytes", url: bareUrl, expectStatus: 200, process: bare },
        { target: "nginx 1 worker, same file", url: nginxUrl, expectStatus: 200, process: nginx },
      ],
      context,
    );
  } finally {
    await bare.stop();
    await nginx?.stop();
  }

  const [service, notModified, bareResult, nginxResult] = results as [LoadResult, LoadResult, LoadResult, LoadResult];
  const ratios: Ratio[] = [
    ratio("service / bare Fastify, req/s", service.requestsPerSecond, bareResult.requestsPerSecond, 0.8),
    ratio("service / nginx, req/s", service.requestsPerSecond, nginxResult.requestsPerSecond, 0.5),
    // Capacity: requests one CPU-second buys. Steadier than req/s when other work shares the cores.
    ratio("service / bare Fastify, req per CPU-s", cost(bareResult), cost(service), 0.9),
    ratio("service / nginx, req per CPU-s", cost(nginxResult), cost(service), 0.5),
    ratio("service 304 / service 200, req/s", notModified.requestsPerSecond, service.requestsPerSecond, null),
  ];
  const table = printTable(
    `Lesson JSON: GET /v1/lessons/${chosen.slug} (${chosen.body.length} bytes), ${context.connections} connections, ${context.rounds} rounds of ${context.durationSeconds} s per target`,
    results,
    ratios,
  );
  const capacity = ratios[2] as Ratio;
  const targets: TargetRow[] = [
    {
      target: "Lesson GET, requests per CPU-second vs bare Fastify",
      value: `${capacity.value.toFixed(2)}× (${cost(service).toFixed(0)} µs/req)`,
      goal: "≥ 0.9×",
      baseline: `bare Fastify ${cost(bareResult).toFixed(0)} µs/req`,
      met: capacity.met === true,
    },
  ];
  return { name: "lesson", slug: chosen.slug, bytes: chosen.body.length, results, ratios, targets, table };
}

function cost(result: LoadResult): number {
  return result.cpuMicrosPerRequest ?? 0;
}

async function expectSameBytes(url: string, expected: Buffer): Promise<void> {
  const body = Buffer.from(await (await fetch(url)).arrayBuffer());
  if (!body.equals(expected)) throw new Error(`${url} does not answer the same bytes as the service`);
}
