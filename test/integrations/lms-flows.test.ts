import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/delivery/signature.js";
import { GRADE_EXPORTS } from "../../src/submissions/exports/grade-exports.js";
import { XapiStatementSchema } from "../../src/submissions/exports/xapi.js";
import { pruneIdempotencyKeys } from "../../src/submissions/idempotency.js";
import { contentWithoutQuestions } from "../content/without-questions.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildReplica, buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { fast } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

/** What an LMS does end to end, on the real engine and database. */
let t: TestApp;
// Lessons completed by reading need lessons without exercises: the course without its questions.
let content: Awaited<ReturnType<typeof contentWithoutQuestions>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let lms: { id: string; auth: string };
let secret: string;
const container = `alpine-una-vez-${uniqueSuffix()}`;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  content = await contentWithoutQuestions();
  t = await buildTestApp({
    contentDir: content.dir,
    ...fast({ maxAttempts: 3 }),
  });
  const created = await request(t.app.server)
    .post("/v1/clients")
    .set("authorization", (await createTestClient(t.prisma, ["admin"])).auth)
    .send({
      name: "Moodle",
      scopes: ["submissions:write", "progress:read", "webhooks:manage", "engine:shared"],
      homePage: "https://moodle.example",
    })
    .expect(201);
  lms = { id: created.body.id, auth: `Bearer ${created.body.key}` };
  const hook = await request(t.app.server)
    .post("/v1/webhooks")
    .set("authorization", lms.auth)
    .send({ url: receiver.url, events: ["submission.graded", "exercise.passed", "lesson.completed"] })
    .expect(201);
  secret = hook.body.secret;
  await docker(["run", "--name", container, "alpine"]);
});
afterAll(async () => {
  await docker(["rm", "-f", container]).catch(() => {});
  await t?.close();
  await receiver?.close();
  await content?.remove();
});

const submit = (body: Record<string, unknown>, key?: string, app = t.app) => {
  const call = request(app.server).post("/v1/exercises/alpine-una-vez/submissions").set("authorization", lms.auth);
  return (key ? call.set("idempotency-key", key) : call).send(body);
};
const eventsOfType = (type: string) =>
  receiver.received.map((r) => JSON.parse(r.body)).filter((payload: { type: string }) => payload.type === type);

describe("Idempotency-Key on POST …/submissions", () => {
  it("replays the original answer for the same key and body, and stores nothing new", async () => {
    const body = { learnerId: "idem", containerName: "no-such-container-idem" };
    const first = await submit(body, "key-1").expect(201);
    const again = await submit(body, "key-1").expect(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(await t.prisma.submission.count({ where: { learnerId: "idem" } })).toBe(1);
    const progress = await request(t.app.server).get("/v1/learners/idem/progress").set("authorization", lms.auth);
    const attempted = progress.body.exercises.find(
      (entry: { exerciseId: string }) => entry.exerciseId === "alpine-una-vez",
    );
    expect(attempted).toMatchObject({ attempts: 1 });
  });

  it("answers 422 for the same key with a different body", async () => {
    await submit({ learnerId: "idem2", containerName: "no-such-a" }, "key-2").expect(201);
    const reused = await submit({ learnerId: "idem2", containerName: "no-such-b" }, "key-2").expect(422);
    expect(reused.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(await t.prisma.submission.count({ where: { learnerId: "idem2" } })).toBe(1);
  });

  it("keys are per client: another client's identical key is a new request", async () => {
    const other = await createTestClient(t.prisma, ["submissions:write", "engine:shared"]);
    const body = { learnerId: "idem3", containerName: "no-such-c" };
    const mine = await submit(body, "shared-key").expect(201);
    const theirs = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", other.auth)
      .set("idempotency-key", "shared-key")
      .send(body)
      .expect(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });
});

describe("Idempotency-Key retention", () => {
  it("forgets keys after 24 hours, keeping recent ones", async () => {
    const body = { learnerId: "idem-ttl", containerName: "no-such-ttl" };
    await submit(body, "old-key").expect(201);
    await submit(body, "new-key").expect(201);
    await t.prisma.idempotencyKey.update({
      where: { clientId_key: { clientId: lms.id, key: "old-key" } },
      data: { createdAt: new Date(Date.now() - 25 * 3600_000) },
    });
    expect(await pruneIdempotencyKeys(t.app.storage)).toBe(1);
    const left = await t.prisma.idempotencyKey.findMany({
      where: { clientId: lms.id, key: { in: ["old-key", "new-key"] } },
    });
    expect(left.map((k) => k.key)).toEqual(["new-key"]);
    // A forgotten key is a new request again.
    await submit(body, "old-key").expect(201);
    expect(await t.prisma.submission.count({ where: { learnerId: "idem-ttl" } })).toBe(3);
  });
});

describe("two replicas on one database", () => {
  it("lose nothing and duplicate nothing under concurrent submissions, with and without retries", async () => {
    const replica = await buildReplica(t.databaseUrl, { delivery: { ...t.app.config.delivery, workerEnabled: false } });
    try {
      const apps = [t.app, replica];
      const plain = Array.from({ length: 12 }, (_, i) =>
        submit({ learnerId: "replicas", containerName: "no-such-r" }, undefined, apps[i % 2]),
      );
      // The same retried request hits both replicas at once: one submission, the rest replay or 409.
      const retried = Array.from({ length: 6 }, (_, i) =>
        submit({ learnerId: "replicas", containerName: "no-such-r" }, "retried-key", apps[i % 2]),
      );
      const plainResults = await Promise.all(plain);
      const retriedResults = await Promise.all(retried);
      expect(plainResults.map((r) => r.status)).toEqual(Array(12).fill(201));
      expect(retriedResults.every((r) => r.status === 201 || r.status === 409)).toBe(true);
      const retriedIds = new Set(retriedResults.filter((r) => r.status === 201).map((r) => r.body.id));
      expect(retriedIds.size).toBe(1);
      expect(await t.prisma.submission.count({ where: { learnerId: "replicas" } })).toBe(13);
      const progress = await t.prisma.exerciseProgress.findFirstOrThrow({ where: { learnerId: "replicas" } });
      expect(progress.attempts).toBe(13);
    } finally {
      await replica.close();
    }
  });
});

describe("webhook events from real grading", () => {
  it("sends submission.graded for every attempt, exercise.passed once, lesson.completed once", async () => {
    const fail = await submit({ learnerId: "eva", containerName: "no-such-eva" }).expect(201);
    expect(fail.body.status).toBe("failed");
    const pass = await submit({ learnerId: "eva", containerName: container }).expect(201);
    expect(pass.body.status).toBe("passed");
    await submit({ learnerId: "eva", containerName: container }).expect(201);

    const deadline = Date.now() + 10_000;
    const graded = () => eventsOfType("submission.graded").filter((e) => e.data.submission.learnerId === "eva");
    while (graded().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(graded().map((e) => e.data.submission.status)).toEqual(["failed", "passed", "passed"]);
    const passed = eventsOfType("exercise.passed").filter((e) => e.data.learnerId === "eva");
    expect(passed).toHaveLength(1);
    expect(passed[0].data).toMatchObject({ exerciseId: "alpine-una-vez", submissionId: pass.body.id });
    for (const got of receiver.received) {
      expect(verifyWebhookSignature(secret, String(got.headers["aprendiendo-signature"]), got.body)).toBe(true);
    }
  });

  it("completes a lesson without exercises once, idempotently, with one lesson.completed", async () => {
    const first = await request(t.app.server)
      .post("/v1/learners/eva/lessons/que-es-docker/complete")
      .set("authorization", lms.auth)
      .expect(200);
    const again = await request(t.app.server)
      .post("/v1/learners/eva/lessons/que-es-docker/complete")
      .set("authorization", lms.auth)
      .expect(200);
    expect(again.body).toEqual(first.body);
    await request(t.app.server)
      .post("/v1/learners/eva/lessons/modo-interactivo/complete")
      .set("authorization", lms.auth)
      .expect(409);
    await request(t.app.server)
      .post("/v1/learners/eva/lessons/no-existe/complete")
      .set("authorization", lms.auth)
      .expect(404);
    const deadline = Date.now() + 10_000;
    const completed = () => eventsOfType("lesson.completed").filter((e) => e.data.learnerId === "eva");
    while (completed().length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(completed().map((e) => e.data.lesson)).toEqual(["que-es-docker"]);
    const progress = await request(t.app.server).get("/v1/learners/eva/progress").set("authorization", lms.auth);
    expect(progress.body.lessons.find((l: { lesson: string }) => l.lesson === "que-es-docker")).toMatchObject({
      completed: true,
      completion: 100,
      completedAt: first.body.completedAt,
    });
  });
});

describe("grade exports and statements", () => {
  it("export a stored submission in every format, each valid against its published shape", async () => {
    const pass = await submit({ learnerId: "exporta", containerName: container }).expect(201);
    for (const [format, entry] of Object.entries(GRADE_EXPORTS)) {
      const response = await request(t.app.server)
        .get(`/v1/submissions/${pass.body.id}/export/${format}`)
        .set("authorization", lms.auth)
        .expect(200);
      expect(response.headers["content-type"]).toContain(entry.mediaType);
      expect(entry.schema.safeParse(response.body).success, format).toBe(true);
    }
    const xapi = await request(t.app.server)
      .get(`/v1/submissions/${pass.body.id}/export/xapi`)
      .set("authorization", lms.auth);
    expect(xapi.body.actor.account).toEqual({ homePage: "https://moodle.example", name: "exporta" });
    expect(xapi.body.verb.id).toBe("http://adlnet.gov/expapi/verbs/passed");
    const lti = await request(t.app.server)
      .get(`/v1/submissions/${pass.body.id}/export/lti-ags`)
      .set("authorization", lms.auth);
    expect(lti.body).toMatchObject({
      userId: "exporta",
      scoreGiven: 6,
      scoreMaximum: 6,
      gradingProgress: "FullyGraded",
    });
    await request(t.app.server)
      .get(`/v1/submissions/${pass.body.id}/export/scorm`)
      .set("authorization", lms.auth)
      .expect(400);
  });

  it("list a learner's statements oldest first across pages", async () => {
    for (let i = 0; i < 3; i++) await submit({ learnerId: "paginas", containerName: "no-such-p" }).expect(201);
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(t.app.server)
        .get("/v1/learners/paginas/statements")
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set("authorization", lms.auth)
        .expect(200);
      for (const statement of page.body.items) expect(XapiStatementSchema.safeParse(statement).success).toBe(true);
      ids.push(...page.body.items.map((s: { id: string }) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    const stored = await t.prisma.submission.findMany({
      where: { learnerId: "paginas" },
      orderBy: [{ gradedAt: "asc" }, { id: "asc" }],
    });
    expect(ids).toEqual(stored.map((s) => s.id));
  });
});
