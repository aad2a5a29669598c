import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentWithoutQuestions } from "../content/without-questions.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/**
 * Two LMSs on one service, both with a learner called "ana". Submissions grade a container that
 * does not exist: a graded result (the exists check fails), so no container is needed here.
 */
let t: TestApp;
// Lessons completed by reading need lessons without exercises: the course without its questions.
let content: Awaited<ReturnType<typeof contentWithoutQuestions>>;
let a: { id: string; auth: string };
let b: { id: string; auth: string };
let submissionOfA: string;

const EXERCISE = "alpine-una-vez";
const submit = (auth: string, learnerId = "ana") =>
  request(t.app.server)
    .post(`/v1/exercises/${EXERCISE}/submissions`)
    .set("authorization", auth)
    .send({ learnerId, containerName: "tenancy-no-such-container" });

beforeAll(async () => {
  content = await contentWithoutQuestions();
  t = await buildTestApp({ contentDir: content.dir });
  a = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"], "LMS A");
  b = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"], "LMS B");
  const created = await submit(a.auth).expect(201);
  submissionOfA = created.body.id;
});
afterAll(async () => {
  await t?.close();
  await content?.remove();
});

describe("another client's learner and submissions", () => {
  it.each([
    ["the submission", () => `/v1/submissions/${submissionOfA}`],
    ["its export", () => `/v1/submissions/${submissionOfA}/export/lti-ags`],
    ["the learner's progress", () => "/v1/learners/ana/progress"],
    ["the learner's submissions", () => "/v1/learners/ana/submissions"],
    ["the learner's statements", () => "/v1/learners/ana/statements"],
  ])("answer 404 for %s, as if it did not exist", async (_label, path) => {
    await request(t.app.server).get(path()).set("authorization", a.auth).expect(200);
    const response = await request(t.app.server).get(path()).set("authorization", b.auth).expect(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.text).not.toContain("LMS A");
  });

  it("keep the same learner id apart: each client's ana has her own attempts", async () => {
    await submit(b.auth).expect(201);
    await submit(b.auth).expect(201);
    const progressA = await request(t.app.server).get("/v1/learners/ana/progress").set("authorization", a.auth);
    const progressB = await request(t.app.server).get("/v1/learners/ana/progress").set("authorization", b.auth);
    const attempts = (body: { exercises: { exerciseId: string; attempts: number }[] }) =>
      body.exercises.find((e) => e.exerciseId === EXERCISE)?.attempts;
    expect(attempts(progressA.body)).toBe(1);
    expect(attempts(progressB.body)).toBe(2);
    const listA = await request(t.app.server).get("/v1/learners/ana/submissions").set("authorization", a.auth);
    expect(listA.body.items.map((s: { id: string }) => s.id)).toEqual([submissionOfA]);
    const statementsB = await request(t.app.server).get("/v1/learners/ana/statements").set("authorization", b.auth);
    expect(statementsB.body.items).toHaveLength(2);
    expect(statementsB.body.items.map((s: { id: string }) => s.id)).not.toContain(submissionOfA);
  });

  it("keep lesson completions apart", async () => {
    await request(t.app.server)
      .post("/v1/learners/ana/lessons/que-es-docker/complete")
      .set("authorization", b.auth)
      .expect(200);
    const progressA = await request(t.app.server).get("/v1/learners/ana/progress").set("authorization", a.auth);
    const progressB = await request(t.app.server).get("/v1/learners/ana/progress").set("authorization", b.auth);
    const read = (body: { lessons: { lesson: string; completed: boolean }[] }) =>
      body.lessons.find((l) => l.lesson === "que-es-docker")?.completed;
    expect(read(progressA.body)).toBe(false);
    expect(read(progressB.body)).toBe(true);
  });
});

describe("scopes on learner routes", () => {
  it.each([
    ["POST", `/v1/exercises/${EXERCISE}/submissions`, "submissions:write"],
    ["POST", "/v1/learners/ana/lessons/que-es-docker/complete", "submissions:write"],
    ["GET", "/v1/learners/ana/progress", "progress:read"],
    ["GET", "/v1/learners/ana/submissions", "progress:read"],
    ["GET", "/v1/learners/ana/statements", "progress:read"],
    ["GET", () => `/v1/submissions/${submissionOfA}`, "progress:read"],
    ["GET", () => `/v1/submissions/${submissionOfA}/export/xapi`, "progress:read"],
  ] as const)("%s %s needs a key (401) with %s (403 otherwise)", async (method, path, scope) => {
    const url = typeof path === "function" ? path() : path;
    const other = scope === "progress:read" ? "submissions:write" : "progress:read";
    const lacking = await createTestClient(t.prisma, [other]);
    const call = (auth?: string) => {
      const r =
        method === "GET" ? request(t.app.server).get(url) : request(t.app.server).post(url).send({ learnerId: "ana" });
      return auth ? r.set("authorization", auth) : r;
    };
    expect((await call()).status).toBe(401);
    const forbidden = await call(lacking.auth);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.requiredScope).toBe(scope);
  });
});
