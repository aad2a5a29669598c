import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  INSTRUCTOR,
  LEARNER,
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  placeThrough,
  registerWithTool,
  serveTool,
  sessionCookieOf,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { answersScoring } from "../support/question-answers.js";
import { fast } from "../support/webhook-steps.js";

/**
 * The teacher's view (issue 25, item 4): an instructor's launch lands on the class of its course,
 * makes no learner and sends no score; the same class is served by the API as JSON and CSV. Three
 * learners take two exercises placed in one course: a question exercise graded through the real
 * path, and a container exercise whose attempts are stored as the grader stores them, at known times,
 * so the medians and the item analysis are exact.
 */
const QUESTIONS = "preguntas-que-es-docker";
const CONTAINER = "alpine-una-vez";
const COURSE = "course-1";
const MIGRATION = new URL("../../prisma/migrations/20261215090000_lti_context_learners/migration.sql", import.meta.url);
let t: TestApp;
let platform: LtiPlatformDouble;
let platformId: string;
let lms: { id: string; auth: string };
let other: { id: string; auth: string };
let writerOnly: { id: string; auth: string };
const placed = new Map<string, LineItem>();
const learnerOf = (sub: string) =>
  learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub);
const classPath = (context = COURSE, id = platformId) =>
  `/v1/lti/platforms/${id}/contexts/${encodeURIComponent(context)}/class`;

/** A launch of the placement of `exercise` by `sub` with `roles`. */
function launchPlacement(exercise: string, sub: string, roles: string[], locale?: string) {
  const item = placed.get(exercise);
  if (!item) throw new Error(`${exercise} is not placed`);
  return launchThrough(t.app.server, platform, {
    sub,
    roles,
    ...(locale ? { locale } : {}),
    custom: { exercise_id: exercise },
    placement: { resourceLinkId: `link-${item.id}`, lineItemId: item.id },
  });
}

/** alpine-una-vez's checks and their points (6 in all). */
const CHECK_POINTS: Record<string, number> = { existe: 1, imagen: 1, terminado: 1, "codigo-cero": 2, shell: 1 };
/** One of its checks as the grader stores it. */
const check = (id: string, passed: boolean, actual: string | null = passed ? "ok" : "wrong") => ({
  id,
  passed,
  points: passed ? (CHECK_POINTS[id] ?? 0) : 0,
  maxPoints: CHECK_POINTS[id] ?? 0,
  expected: "ok",
  actual,
});
const ALL_CHECKS = Object.keys(CHECK_POINTS);
const T0 = Date.UTC(2026, 11, 1, 9, 0);

/** An attempt at alpine-una-vez, stored as the grader stores one, `minutes` after T0. */
async function storeAttempt(sub: string, minutes: number, failing: Record<string, string | null>, hints: object[]) {
  const checks = ALL_CHECKS.map((id) => (id in failing ? check(id, false, failing[id]) : check(id, true)));
  const passed = Object.keys(failing).length === 0;
  await t.prisma.submission.create({
    data: {
      clientId: lms.id,
      learnerId: learnerOf(sub),
      exerciseId: CONTAINER,
      containerName: CONTAINER,
      passed,
      score: checks.reduce((sum, c) => sum + c.points, 0),
      maxScore: 6,
      checks,
      hints,
      evidence: { containerName: CONTAINER, found: true, container: null, checks: {} },
      language: "es",
      gradedAt: new Date(T0 + minutes * 60_000),
      durationMs: 5,
    },
  });
}

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ ...fast({ maxAttempts: 30 }), secretsKey: randomBytes(32) });
  await serveTool(t.app, platform);
  ({ platformId, ...lms } = await registerWithTool(t, platform));
  other = await createTestClient(t.prisma, ["submissions:write", "progress:read"]);
  writerOnly = await createTestClient(t.prisma, ["submissions:write"]);
  for (const sub of ["ana", "ben", "cris"]) platform.enrolled.add(sub);
  const jwt = await placeThrough(t.app.server, platform, [`exercise:${QUESTIONS}`, `exercise:${CONTAINER}`], {
    deepLinking: { acceptMultiple: true },
  });
  const items = await platform.returnDeepLinks(jwt, COURSE);
  for (const item of items) placed.set(item.resourceId, item);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

describe("an instructor's launch", () => {
  it("lands on the class page of its course, in Spanish by default: no learner, no session, framable, no script", async () => {
    // Learner and Instructor at once (a teacher enrolled as a student too): the teaching role wins.
    const landed = await launchPlacement(QUESTIONS, "teacher", [INSTRUCTOR, LEARNER]);
    expect(landed.status, landed.text).toBe(200);
    expect(landed.headers["content-type"]).toMatch(/^text\/html/);
    expect(landed.text).toContain('<html lang="es">');
    expect(landed.text).toContain(`Tu clase: ${COURSE}`);
    expect(landed.text).toContain("Aún no ha entrado ningún estudiante desde este curso.");
    expect(sessionCookieOf(landed)).toBe("");
    const csp = String(landed.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("script-src");
    expect(csp).toContain(`frame-ancestors 'self' ${new URL(platform.issuer).origin}`);
    expect(landed.headers["x-frame-options"]).toBeUndefined();
    expect(landed.headers["cache-control"]).toBe("no-store");
    expect(await t.prisma.ltiLearner.count({ where: { sub: "teacher" } })).toBe(0);
    expect(await t.prisma.learner.count({ where: { clientId: lms.id } })).toBe(0);
    expect(await t.prisma.ltiLaunch.count()).toBe(0);
    expect(await t.prisma.ltiContextLearner.count()).toBe(0);
    // The launch still taught the tool the placement's line item.
    expect(await t.prisma.ltiPlacement.count({ where: { contextId: COURSE } })).toBe(1);
  });

  it("is an instructor's for a teaching assistant and an administrator too, and in English for an English locale", async () => {
    for (const [index, role] of [
      "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
      "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    ].entries()) {
      const landed = await launchPlacement(CONTAINER, `staff-${index}`, [role], "en-GB");
      expect(landed.status, landed.text).toBe(200);
      expect(landed.text).toContain('<html lang="en">');
      expect(landed.text).toContain(`Your class: ${COURSE}`);
    }
    expect(await t.prisma.learner.count({ where: { clientId: lms.id } })).toBe(0);
  });
  it("is headed by the course's title as the platform gives it, else its label, else its id", async () => {
    const item = placed.get(QUESTIONS);
    if (!item) throw new Error(`${QUESTIONS} is not placed`);
    const withContext = (context: Record<string, unknown>) =>
      launchThrough(t.app.server, platform, {
        sub: "teacher",
        roles: [INSTRUCTOR],
        custom: { exercise_id: QUESTIONS },
        placement: { resourceLinkId: `link-${item.id}`, lineItemId: item.id },
        claims: { "https://purl.imsglobal.org/spec/lti/claim/context": { id: COURSE, ...context } },
      });
    const cases: [Record<string, unknown>, string][] = [
      [
        { title: "Docker <desde cero> & grupo B", label: "DCK-B" },
        "Tu clase: Docker &#60;desde cero&#62; &#38; grupo B",
      ],
      [{ label: "DCK-B" }, "Tu clase: DCK-B"],
      [{ title: "   ", label: 42 }, `Tu clase: ${COURSE}`],
    ];
    for (const [context, heading] of cases) {
      const landed = await withContext(context);
      expect(landed.status, landed.text).toBe(200);
      expect(landed.text).toContain(`<h1>${heading}</h1>`);
      expect(landed.text).toContain(`<title>${heading}`);
    }
  });

  it("names its course, or is refused: without a context there is no class to show", async () => {
    const landed = await launchThrough(t.app.server, platform, { sub: "teacher", roles: [INSTRUCTOR] });
    expect(landed.status).toBe(401);
    expect(landed.body.detail).toMatch(/names no course/);
    expect(await t.prisma.ltiLearner.count({ where: { sub: "teacher" } })).toBe(0);
  });
});

describe("learners of the course", () => {
  it("still land signed in on the placed lesson", async () => {
    for (const sub of ["ana", "ben", "cris"]) {
      for (const exercise of [QUESTIONS, CONTAINER]) {
        const landed = await launchPlacement(exercise, sub, [LEARNER]);
        expect(landed.status, landed.text).toBe(303);
        expect(sessionCookieOf(landed)).not.toBe("");
      }
    }
    expect(await t.prisma.ltiContextLearner.count({ where: { contextId: COURSE } })).toBe(3);
  });

  it("are graded: the questions through the real path, and their scores reach the gradebook; the teacher's do not", async () => {
    for (const [sub, right] of [
      ["ana", 1],
      ["ana", 3],
      ["ben", 3],
      ["cris", 2],
    ] as const) {
      await request(t.app.server)
        .post(`/v1/exercises/${QUESTIONS}/submissions`)
        .set("authorization", lms.auth)
        .send({ learnerId: learnerOf(sub), answers: answersScoring(right) })
        .expect(201);
    }
    // A teacher who somehow gets graded (the LMS sends their id) is no learner of any placement: no score.
    await request(t.app.server)
      .post(`/v1/exercises/${QUESTIONS}/submissions`)
      .set("authorization", lms.auth)
      .send({ learnerId: learnerOf("teacher"), answers: answersScoring(3) })
      .expect(201);
    const delivered = await eventually(
      async () =>
        (await request(t.app.server).get("/v1/lti/scores").set("authorization", lms.auth).expect(200)).body.items as {
          userId: string;
          status: string;
        }[],
      (rows) => rows.length >= 4 && rows.every((row) => row.status !== "pending"),
      15_000,
    );
    // Ana's first attempt and her better second one, ben's and cris's: the teacher's none.
    expect(delivered.map((row) => row.userId).sort()).toEqual(["ana", "ana", "ben", "cris"]);
    expect(platform.scorePosts.some((post) => post.score.userId === "teacher")).toBe(false);

    // alpine-una-vez: ana passes at her second attempt after 10 minutes, ben at his third after 30.
    const shellHint = { when: { failed: "shell" }, with: { name: CONTAINER } };
    await storeAttempt("ana", 0, { shell: '["sh","-c","true"]' }, [shellHint]);
    await storeAttempt("ana", 10, {}, []);
    await storeAttempt("ben", 0, { shell: '["true"]' }, [shellHint]);
    // Still running: its exit code could not be read (no value), which is no failure of that check.
    await storeAttempt("ben", 5, { terminado: "running", "codigo-cero": null }, [
      { when: { state: "running" }, with: { name: CONTAINER } },
    ]);
    await storeAttempt("ben", 30, {}, []);
  });
});

describe("the class API", () => {
  it("answers each exercise's outcomes, medians, failing checks and most shown hint", async () => {
    const answer = await request(t.app.server).get(classPath()).query({ lang: "en" }).set("authorization", lms.auth);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.headers["content-language"]).toBe("en");
    expect(answer.body).toMatchObject({ platformId, contextId: COURSE, learners: 3 });
    const [questions, container] = answer.body.exercises;
    expect(questions).toMatchObject({
      exerciseId: QUESTIONS,
      maxScore: 3,
      learners: { notStarted: 0, attempted: 1, passed: 2 },
      medianAttemptsToPass: 1.5,
      commonHint: null,
    });
    expect(questions.failingChecks.map((c: { checkId: string }) => c.checkId)).toEqual([
      "comprobar-instalacion",
      "tres-tareas",
    ]);
    expect(questions.failingChecks[0]).toMatchObject({ failures: 2, learners: 2 });
    expect(container).toMatchObject({
      exerciseId: CONTAINER,
      title: "Run alpine once",
      learners: { notStarted: 1, attempted: 0, passed: 2 },
      medianAttemptsToPass: 2.5,
      medianSecondsToPass: 1200,
      failingChecks: [
        { checkId: "shell", description: "It ran alpine's default shell", failures: 2, learners: 2 },
        { checkId: "terminado", description: "The container has finished (exited)", failures: 1, learners: 1 },
      ],
      commonHint: { text: expect.stringContaining("docker rm -f alpine-una-vez"), shown: 2 },
    });
  });

  it("pages the learners, first launch first, with status, best score and attempts per exercise", async () => {
    const first = await request(t.app.server)
      .get(`${classPath()}/learners`)
      .query({ limit: 2 })
      .set("authorization", lms.auth)
      .expect(200);
    expect(first.body.items.map((l: { sub: string }) => l.sub)).toEqual(["ana", "ben"]);
    expect(first.body.items[0]).toMatchObject({
      learnerId: learnerOf("ana"),
      exercises: [
        { exerciseId: QUESTIONS, status: "passed", bestScore: 3, maxScore: 3, attempts: 2 },
        { exerciseId: CONTAINER, status: "passed", attempts: 2, firstAttemptAt: new Date(T0).toISOString() },
      ],
    });
    const second = await request(t.app.server)
      .get(`${classPath()}/learners`)
      .query({ limit: 2, cursor: first.body.nextCursor })
      .set("authorization", lms.auth)
      .expect(200);
    expect(second.body.nextCursor).toBeNull();
    expect(second.body.items).toEqual([
      expect.objectContaining({
        sub: "cris",
        exercises: [
          expect.objectContaining({ status: "attempted", bestScore: 2, attempts: 1, firstPassedAt: null }),
          expect.objectContaining({ status: "not-started", bestScore: 0, attempts: 0, firstAttemptAt: null }),
        ],
      }),
    ]);
  });

  it("exports CSV: a header, then one row per learner and exercise", async () => {
    const csv = await request(t.app.server).get(`${classPath()}.csv`).set("authorization", lms.auth).expect(200);
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    expect(csv.headers["content-disposition"]).toBe(`attachment; filename="class-${COURSE}.csv"`);
    const lines = csv.text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(
      "learnerId,sub,name,exerciseId,status,bestScore,maxScore,attempts,firstAttemptAt,firstPassedAt",
    );
    expect(lines.slice(1, -1)).toHaveLength(6);
    expect(lines).toContain(
      `${learnerOf("ben")},ben,,${CONTAINER},passed,6,6,3,${new Date(T0).toISOString()},${new Date(T0 + 30 * 60_000).toISOString()}`,
    );
    expect(lines).toContain(`${learnerOf("cris")},cris,,${CONTAINER},not-started,0,6,0,,`);
  });

  it("is 403 for a key without progress:read, and 404 for another client, an unknown course or platform", async () => {
    const refused = await request(t.app.server).get(classPath()).set("authorization", writerOnly.auth);
    expect(refused.status).toBe(403);
    expect(refused.body.requiredScope).toBe("progress:read");
    for (const path of [classPath(), `${classPath()}/learners`, `${classPath()}.csv`]) {
      expect((await request(t.app.server).get(path).set("authorization", other.auth)).status, path).toBe(404);
    }
    expect((await request(t.app.server).get(classPath("course-9")).set("authorization", lms.auth)).status).toBe(404);
    const unknownPlatform = classPath(COURSE, "00000000-0000-4000-8000-000000000000");
    expect((await request(t.app.server).get(unknownPlatform).set("authorization", lms.auth)).status).toBe(404);
  });
});

describe("the class page with learners", () => {
  it("shows both tables with headers, and its form downloads the same CSV", async () => {
    const landed = await launchPlacement(QUESTIONS, "teacher", [INSTRUCTOR]);
    expect(landed.status, landed.text).toBe(200);
    expect(landed.text).toContain("3 estudiantes han abierto la actividad.");
    expect(landed.text).toContain('<th scope="col">Comprobaciones que más fallan</th>');
    expect(landed.text).toContain('<th scope="row">cris</th>');
    expect(landed.text).toContain("Sin empezar: 0/6, 0 intentos");
    expect(landed.text).not.toContain("<script");
    const token = /name="class" value="([^"]+)"/.exec(landed.text)?.[1] ?? "";
    const action = /<form method="post" action="([^"]+)">/.exec(landed.text)?.[1] ?? "";
    const csv = await request(t.app.server).post(action).type("form").send({ class: token });
    expect(csv.status, csv.text).toBe(200);
    expect(csv.headers["content-disposition"]).toMatch(/^attachment/);
    const viaApi = await request(t.app.server).get(`${classPath()}.csv`).set("authorization", lms.auth).expect(200);
    expect(csv.text).toBe(viaApi.text);
    const forged = await request(t.app.server)
      .post(action)
      .type("form")
      .send({ class: `${token.slice(0, -4)}AAAA` });
    expect(forged.status).toBe(401);
    expect(await t.prisma.ltiLearner.count({ where: { sub: "teacher" } })).toBe(0);
  });
});

describe("learners who launched before the class was recorded", () => {
  it("are in their course's class once the migration has run, from their first launch, and a second run adds nothing", async () => {
    const course = "course-before";
    const placement = await t.prisma.ltiPlacement.create({
      data: {
        platformId,
        resourceLinkId: "link-before",
        exerciseId: QUESTIONS,
        lineitemUrl: `${platform.issuer}/lineitems/before`,
        contextId: course,
      },
    });
    // As launches left them before lti_context_learners: a link, a learner and a launch of the placement.
    await t.prisma.learner.create({ data: { clientId: lms.id, id: learnerOf("dana") } });
    await t.prisma.ltiLearner.create({ data: { platformId, sub: "dana", learnerId: learnerOf("dana") } });
    await t.prisma.ltiLaunch.create({ data: { placementId: placement.id, sub: "dana", launchedAt: new Date(T0) } });
    const migration = await readFile(MIGRATION, "utf8");
    const backfill = migration.slice(migration.indexOf('INSERT INTO "lti_context_learners"'));
    for (let run = 0; run < 2; run++) await t.prisma.$executeRawUnsafe(backfill);

    const learners = await request(t.app.server)
      .get(`${classPath(course)}/learners`)
      .set("authorization", lms.auth)
      .expect(200);
    expect(learners.body.items).toEqual([
      expect.objectContaining({
        sub: "dana",
        learnerId: learnerOf("dana"),
        firstLaunchedAt: new Date(T0).toISOString(),
      }),
    ]);
  });
});
