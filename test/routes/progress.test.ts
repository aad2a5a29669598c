import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentWithoutQuestions } from "../content/without-questions.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, type TestApp, testConfig } from "../helper.js";

/**
 * Lucía submits the same exercise many times at once, some attempts against her finished
 * container and some against a name that does not exist. Every attempt is counted, the best
 * score wins, and her history pages back newest first.
 */

let t: TestApp;
// Lessons completed by reading need lessons without exercises: the course without its questions.
let content: Awaited<ReturnType<typeof contentWithoutQuestions>>;
const done = `alpine-una-vez-${uniqueSuffix()}`;
const notInteractive = `alpine-interactivo-${uniqueSuffix()}`;
const CONCURRENT = 12;

beforeAll(async () => {
  content = await contentWithoutQuestions();
  // Lucía's dozen attempts at once are the subject, not the line that holds a learner's gradings
  // back (test/submissions/grading-admission.test.ts): all of them go to the engine together.
  const defaults = testConfig("postgresql://unused");
  t = await buildTestApp({
    contentDir: content.dir,
    grading: { ...defaults.grading, inFlightPerClient: CONCURRENT, inFlightPerLearner: CONCURRENT },
  });
  await docker(["run", "--name", done, "alpine"]);
  await docker(["run", "--name", notInteractive, "alpine"]);
});
afterAll(async () => {
  await docker(["rm", "-f", done, notInteractive]).catch(() => {});
  await t?.close();
  await content?.remove();
});

const submit = (exerciseId: string, containerName: string, learnerId = "lucia") =>
  request(t.app.server)
    .post(`/v1/exercises/${exerciseId}/submissions`)
    .set("authorization", t.auth)
    .send({ learnerId, containerName });

describe("concurrent submissions", () => {
  it("count every attempt and keep the best score", async () => {
    const responses = await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        submit("alpine-una-vez", i % 2 === 0 ? done : `nadie-${uniqueSuffix()}`),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(CONCURRENT).fill(201));
    const scores = responses.map((r) => r.body.score as number);
    expect(new Set(scores)).toEqual(new Set([0, 6]));

    const progress = await t.prisma.exerciseProgress.findUniqueOrThrow({
      where: {
        clientId_learnerId_exerciseId: { clientId: t.clientId, learnerId: "lucia", exerciseId: "alpine-una-vez" },
      },
    });
    const firstPass = responses
      .filter((r) => r.body.status === "passed")
      .map((r) => r.body.gradedAt as string)
      .sort()[0];
    expect(progress).toMatchObject({ attempts: CONCURRENT, bestScore: 6, maxScore: 6, passed: true });
    expect(progress.firstPassedAt?.toISOString()).toBe(firstPass);
    expect(await t.prisma.submission.count({ where: { learnerId: "lucia" } })).toBe(CONCURRENT);
    expect(await t.prisma.learner.count()).toBe(1);
  });

  it("a later failing attempt never lowers the best score or un-passes the exercise", async () => {
    const failing = await submit("alpine-una-vez", `nadie-${uniqueSuffix()}`);
    expect(failing.body.score).toBe(0);
    const progress = await t.prisma.exerciseProgress.findUniqueOrThrow({
      where: {
        clientId_learnerId_exerciseId: { clientId: t.clientId, learnerId: "lucia", exerciseId: "alpine-una-vez" },
      },
    });
    expect(progress).toMatchObject({ attempts: CONCURRENT + 1, bestScore: 6, passed: true });
  });
});

describe("GET /v1/learners/:learnerId/progress", () => {
  it("reports each exercise, each lesson's completion and the course percentage", async () => {
    const partial = await submit("alpine-interactivo", notInteractive);
    expect(partial.body).toMatchObject({ status: "failed", score: 4, maxScore: 7 });

    const response = await request(t.app.server).get("/v1/learners/lucia/progress").set("authorization", t.auth);
    expect(response.status).toBe(200);
    const { exercises, lessons, overall } = response.body;
    const total = t.app.curriculum.exercises.size;
    expect(exercises).toHaveLength(total);
    // In course order: lesson 0's hola-mundo, never tried, comes first.
    expect(exercises[0]).toMatchObject({
      exerciseId: "hola-mundo",
      lesson: "instalar-docker",
      attempts: 0,
      passed: false,
    });
    expect(exercises[1]).toMatchObject({
      exerciseId: "alpine-una-vez",
      lesson: "modo-interactivo",
      attempts: CONCURRENT + 1,
      bestScore: 6,
      maxScore: 6,
      passed: true,
      firstPassedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(exercises[2]).toEqual({
      exerciseId: "alpine-interactivo",
      lesson: "modo-interactivo",
      attempts: 1,
      bestScore: 4,
      maxScore: 7,
      passed: false,
      firstPassedAt: null,
    });
    expect(exercises[3]).toMatchObject({ exerciseId: "example2-en-segundo-plano", attempts: 0, passed: false });
    const withExercises = lessons.filter((l: { exercises: number }) => l.exercises > 0);
    expect(withExercises[0]).toEqual({
      lesson: "instalar-docker",
      exercises: 1,
      passed: 0,
      completion: 0,
      completed: false,
      completedAt: null,
    });
    expect(withExercises[1]).toEqual({
      lesson: "modo-interactivo",
      exercises: 2,
      passed: 1,
      completion: 50,
      completed: false,
      completedAt: null,
    });
    // Lessons without exercises are listed too: they are completed by reading (POST …/complete).
    expect(lessons[1]).toMatchObject({ lesson: "que-es-docker", exercises: 0, completed: false });
    expect(withExercises.map((l: { lesson: string }) => l.lesson)).toEqual(
      t.app.curriculum.lessons.filter((lesson) => lesson.exercises.length > 0).map((lesson) => lesson.slug),
    );
    expect(withExercises.slice(0, 3).map((l: { lesson: string }) => l.lesson)).toEqual([
      "instalar-docker",
      "modo-interactivo",
      "ciclo-de-vida-de-un-contenedor",
    ]);
    // One passed exercise of them all, to one decimal.
    expect(overall).toEqual({ exercises: total, passed: 1, percentage: Math.round(1000 / total) / 10 });
  });

  it("is a 404 for a learner id this client never used, and all zeros for one it knows but who never submitted", async () => {
    const unknown = await request(t.app.server)
      .get("/v1/learners/lms:nadie@escuela/progress")
      .set("authorization", t.auth);
    expect(unknown.status).toBe(404);
    await request(t.app.server)
      .post("/v1/learners/lms:nuevo@escuela/lessons/que-es-docker/complete")
      .set("authorization", t.auth)
      .expect(200);
    const response = await request(t.app.server)
      .get("/v1/learners/lms:nuevo@escuela/progress")
      .set("authorization", t.auth);
    expect(response.status).toBe(200);
    expect(response.body.overall).toEqual({ exercises: t.app.curriculum.exercises.size, passed: 0, percentage: 0 });
    expect(response.body.exercises.every((e: { attempts: number }) => e.attempts === 0)).toBe(true);
  });

  it("rejects a learner id outside [A-Za-z0-9._:@-]", async () => {
    expect(
      (await request(t.app.server).get("/v1/learners/ana%20maria/progress").set("authorization", t.auth)).status,
    ).toBe(400);
  });
});

describe("GET /v1/learners/:learnerId/submissions", () => {
  it("pages through every submission, newest first, without repeats", async () => {
    const seen: { id: string; gradedAt: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await request(t.app.server)
        .get("/v1/learners/lucia/submissions")
        .set("authorization", t.auth)
        .query({ limit: 5, ...(cursor ? { cursor } : {}) });
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(5);
      seen.push(...response.body.items);
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(CONCURRENT + 2);
    expect(pages).toBe(Math.ceil((CONCURRENT + 2) / 5));
    expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
    const times = seen.map((s) => s.gradedAt);
    expect(times).toEqual([...times].sort().reverse());
  });

  it("filters by exercise", async () => {
    const response = await request(t.app.server)
      .get("/v1/learners/lucia/submissions")
      .set("authorization", t.auth)
      .query({ exerciseId: "alpine-interactivo" });
    expect(response.body.items).toHaveLength(1);
    expect(response.body.items[0]).toMatchObject({ exerciseId: "alpine-interactivo", containerName: notInteractive });
    expect(response.body.nextCursor).toBeNull();
  });

  it("refuses a page larger than 100 and a cursor it did not issue", async () => {
    expect(
      (await request(t.app.server).get("/v1/learners/lucia/submissions?limit=101").set("authorization", t.auth)).status,
    ).toBe(400);
    expect(
      (await request(t.app.server).get("/v1/learners/lucia/submissions?cursor=nope").set("authorization", t.auth))
        .status,
    ).toBe(400);
  });
});

describe("GET /v1/submissions/:id", () => {
  it("returns the stored grade with its language and evidence", async () => {
    const created = await submit("alpine-una-vez", done, "pablo");
    const response = await request(t.app.server).get(`/v1/submissions/${created.body.id}`).set("authorization", t.auth);
    expect(response.status).toBe(200);
    const { language, evidence, ...submission } = response.body;
    expect(submission).toEqual(created.body);
    expect(language).toBe("es");
    expect(evidence).toMatchObject({
      containerName: done,
      found: true,
      checks: { terminado: { status: "exited" }, "codigo-cero": { status: "exited", exitCode: 0 } },
    });
    expect(created.headers.location).toBe(`/v1/submissions/${created.body.id}`);
  });

  it("answers 404 for an unknown id and 400 for something that is not one", async () => {
    expect(
      (
        await request(t.app.server)
          .get("/v1/submissions/00000000-0000-4000-8000-000000000000")
          .set("authorization", t.auth)
      ).status,
    ).toBe(404);
    expect((await request(t.app.server).get("/v1/submissions/123").set("authorization", t.auth)).status).toBe(400);
  });
});
