import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, createTestClient, type TestApp, testConfig } from "../helper.js";

/**
 * 2,000 submissions, 50 at a time, on the real engine and database: every 201 is stored exactly
 * once and counted once in progress, nothing else is stored, and nothing answers 5xx.
 */
const SUBMISSIONS = 2000;
const CONCURRENCY = 50;
const LEARNERS = 100;
const CONTAINERS = 20;
const EXERCISE = "alpine-una-vez";

let t: TestApp;
let base: string;
let auth: string;
const suffix = uniqueSuffix();
const containerNames = Array.from({ length: CONTAINERS }, (_, i) => `load-${suffix}-${i}`);

beforeAll(async () => {
  // Containers that ran `alpine` once, as the exercise asks; some submissions name missing ones.
  for (const name of containerNames) await docker(["create", "--name", name, "--network", "none", "alpine", "true"]);
  await Promise.all(containerNames.slice(0, CONTAINERS / 2).map((name) => docker(["start", "-a", name])));
  const defaults = testConfig("postgresql://unused");
  t = await buildTestApp({
    rateLimitPerMinute: 1_000_000,
    // Like the rate limit, the line each client's gradings wait in is not the subject: all 50 go in.
    grading: { ...defaults.grading, inFlightPerClient: CONCURRENCY, inFlightPerLearner: CONCURRENCY },
    // Integrity under load is the subject here; a slow shared CI engine must not turn into 503s.
    docker: { host: process.env.DOCKER_HOST, timeoutMs: 30_000, concurrency: 16 },
  });
  auth = (await createTestClient(t.prisma, ["admin"], "load")).auth;
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await docker(["rm", "-f", ...containerNames]).catch(() => {});
});

describe(`${SUBMISSIONS} submissions at concurrency ${CONCURRENCY}`, () => {
  it("store exactly the acknowledged ones, each once, and count each attempt once", { timeout: 240_000 }, async () => {
    const acknowledged = new Map<string, { learnerId: string }>();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < SUBMISSIONS; i = next++) {
        const learnerId = `load-learner-${i % LEARNERS}`;
        const containerName = i % 7 === 0 ? `load-${suffix}-missing` : containerNames[i % CONTAINERS];
        const response = await fetch(`${base}/v1/exercises/${EXERCISE}/submissions`, {
          method: "POST",
          headers: { authorization: auth, "content-type": "application/json" },
          body: JSON.stringify({ learnerId, containerName }),
        });
        const text = await response.text();
        if (response.status !== 201) {
          failures.push(`${response.status} ${text.slice(0, 200)}`);
          continue;
        }
        const body = JSON.parse(text) as { id: string; learnerId: string };
        expect(acknowledged.has(body.id), `id ${body.id} answered twice`).toBe(false);
        acknowledged.set(body.id, { learnerId });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures).toEqual([]);
    expect(acknowledged.size).toBe(SUBMISSIONS);

    const stored = await t.prisma.submission.findMany({ select: { id: true, learnerId: true } });
    expect(stored.length, "nothing stored beyond the acknowledged submissions").toBe(SUBMISSIONS);
    for (const row of stored) expect(acknowledged.has(row.id), `row ${row.id} was never acknowledged`).toBe(true);

    const progress = await t.prisma.exerciseProgress.findMany();
    const perLearner = new Map<string, number>();
    for (const { learnerId } of acknowledged.values()) perLearner.set(learnerId, (perLearner.get(learnerId) ?? 0) + 1);
    expect(progress.length).toBe(LEARNERS);
    for (const row of progress) {
      expect(row.exerciseId).toBe(EXERCISE);
      expect(row.attempts, `attempts of ${row.learnerId}`).toBe(perLearner.get(row.learnerId));
    }
  });
});
