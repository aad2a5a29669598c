import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { INTERNALS } from "./support/expectations.js";

/**
 * Grading keeps running against a test-owned engine while that engine is stopped and started
 * again: 503s with Retry-After while it is gone, nothing stored for them, and grading resumes
 * by itself when it is back, with the same app instance.
 */
const EXERCISE = "example2-en-segundo-plano";
const WORKERS = 4;

let engine: SecondEngine;
let t: TestApp;
let auth: string;

beforeAll(async () => {
  engine = await startSecondEngine({ images: ["alpine:latest"] });
  await docker(["run", "-d", "--name", "example2", "alpine", "tail", "-f", "/dev/null"], { host: engine.host });
  t = await buildTestApp({
    docker: { host: engine.host, timeoutMs: 2000, concurrency: 8 },
    rateLimitPerMinute: 1_000_000,
  });
  auth = (await createTestClient(t.prisma, ["admin"], "engine-fault")).auth;
}, 120_000);

afterAll(async () => {
  await t?.close();
  await engine?.dispose();
});

interface Outcome {
  phase: "up" | "down" | "back";
  status: number;
  id?: string;
  body: Record<string, unknown>;
  text: string;
  headers: Record<string, string>;
}

describe("when the grading engine stops and starts again", () => {
  it("answers 503 while it is down, stores nothing for those, and recovers without a restart", {
    timeout: 150_000,
  }, async () => {
    const outcomes: Outcome[] = [];
    let phase: Outcome["phase"] = "up";
    let running = true;
    let sent = 0;

    const worker = async (index: number) => {
      while (running) {
        const learnerId = `learner-${index}-${sent++}`;
        const response = await request(t.app.server)
          .post(`/v1/exercises/${EXERCISE}/submissions`)
          .set("authorization", auth)
          .send({ learnerId });
        outcomes.push({
          phase,
          status: response.status,
          id: response.body?.id,
          body: response.body,
          text: response.text,
          headers: response.headers as Record<string, string>,
        });
      }
    };
    const workers = Array.from({ length: WORKERS }, (_, i) => worker(i));
    const count = (predicate: (o: Outcome) => boolean) => outcomes.filter(predicate).length;
    const waitFor = async (what: string, predicate: () => boolean, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    try {
      await waitFor("grades while the engine is up", () => count((o) => o.status === 201) >= 20);

      phase = "down";
      await engine.stop(); // in-flight requests meet a dying engine
      await waitFor("503s while it is down", () => count((o) => o.phase === "down" && o.status === 503) >= 20);

      await engine.start(); // what `systemctl restart docker` does: same socket, same containers
      phase = "back";
      await waitFor("grades again once it is back", () => count((o) => o.phase === "back" && o.status === 201) >= 20);
    } finally {
      running = false;
      await Promise.all(workers);
    }

    // Only grades and "engine unavailable": no other failure, before, during or after.
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 503).map((o) => `${o.status} ${o.text}`)).toEqual(
      [],
    );
    expect(
      count((o) => o.phase === "up" && o.status === 503),
      "no 503 while the engine was up",
    ).toBe(0);

    for (const o of outcomes.filter((o) => o.status === 503)) {
      expect(o.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(o.headers["retry-after"]).toMatch(/^\d+$/);
      expect(o.body).toMatchObject({ status: 503, dependency: "docker", engine: engine.host });
      expect(o.text).not.toMatch(INTERNALS);
    }

    // Exactly the 201s are stored, each once, and each counted once in progress.
    const graded = outcomes.filter((o) => o.status === 201).map((o) => o.id as string);
    expect(new Set(graded).size).toBe(graded.length);
    const stored = await t.prisma.submission.findMany({ select: { id: true } });
    expect(stored.map((s) => s.id).sort()).toEqual([...graded].sort());
    const attempts = await t.prisma.exerciseProgress.aggregate({ _sum: { attempts: true } });
    expect(attempts._sum.attempts).toBe(graded.length);

    // The same app answers /ready with docker up again.
    const ready = await request(t.app.server).get("/ready").expect(200);
    expect(ready.body.dependencies.docker.status).toBe("up");
  });
});
