import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  INSTRUCTOR,
  type LaunchSpec,
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  placeThrough,
  serveTool,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { answersScoring } from "../support/question-answers.js";
import { fast } from "../support/webhook-steps.js";

/**
 * What a teacher's gradebook ends up holding, against a platform double with Moodle's and Canvas's
 * score rules, under the faults and timings that corrupted gradebooks (issue 22): an outage followed
 * by a teacher's grade, retries arriving out of order under `best`, two attempts in one second, a
 * learner in two courses, an instructor trying the exercise, and Canvas's attempt limit.
 * The exercise is a question exercise (3 points, one per right answer), so no engine is needed.
 */
const EXERCISE = "preguntas-que-es-docker";
let t: TestApp;
let platform: LtiPlatformDouble;
let lms: { id: string; auth: string };
let n = 0;

async function attempt(sub: string, right: 0 | 1 | 2 | 3) {
  const response = await request(t.app.server)
    .post(`/v1/exercises/${EXERCISE}/submissions`)
    .set("authorization", lms.auth)
    .send({
      learnerId: learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub),
      answers: answersScoring(right),
    });
  expect(response.status, response.text).toBe(201);
  expect(response.body.score).toBe(right);
  return response.body as { id: string; score: number; gradedAt: string };
}

/** Login, platform authorization and launch, as the user's browser does them. */
const launch = (spec: LaunchSpec) => launchThrough(t.app.server, platform, spec);

/** A teacher places the exercise in `course`: the line item the platform created for it. */
async function place(course: string): Promise<{ item: LineItem; resourceLinkId: string }> {
  const item = await platform.returnDeepLink(
    await placeThrough(t.app.server, platform, [`exercise:${EXERCISE}`]),
    course,
  );
  return { item, resourceLinkId: `link-${course}-${item.id}` };
}

/** A learner enrolled in `course` launches the placement: the tool now knows where they are. */
async function learnerLaunches(sub: string, placed: { item: LineItem; resourceLinkId: string }, roles?: string[]) {
  platform.courses.set(placed.item.course, (platform.courses.get(placed.item.course) ?? new Set()).add(sub));
  const landed = await launch({
    sub,
    custom: { exercise_id: EXERCISE },
    placement: { resourceLinkId: placed.resourceLinkId, lineItemId: placed.item.id },
    ...(roles ? { roles } : {}),
  });
  // An instructor lands on the class page (200), signed in as no one; anyone else on the lesson (303).
  expect(landed.status, landed.text).toBe(roles?.includes(INSTRUCTOR) ? 200 : 303);
}

type ScoreRow = {
  submissionId: string;
  userId: string;
  status: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  score: { scoreGiven: number; timestamp: string; comment: string; [key: string]: unknown };
};
const scores = async () =>
  (await request(t.app.server).get("/v1/lti/scores?limit=100").set("authorization", lms.auth).expect(200)).body
    .items as ScoreRow[];
const scoresOf = async (sub: string) => (await scores()).filter((s) => s.userId === sub);
/** Waits until every score row of `sub` has settled. */
const settled = (sub: string, count: number) =>
  eventually(
    () => scoresOf(sub),
    (rows) => rows.length === count && rows.every((row) => row.status !== "pending"),
    15_000,
  );
const postsFor = (sub: string) => platform.scorePosts.filter((post) => post.score.userId === sub);

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ ...fast({ maxAttempts: 30 }), secretsKey: randomBytes(32) });
  await serveTool(t.app, platform);
  const admin = await createTestClient(t.prisma, ["admin"]);
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "webhooks:manage"]);
  await request(t.app.server)
    .post("/v1/lti/platforms")
    .set("authorization", admin.auth)
    .send(platform.registrationFor(lms.id))
    .expect(201);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});
beforeEach(() => {
  n++;
  platform.failNextScores(0);
  platform.attemptLimit = undefined;
});

describe.each(["moodle", "canvas"] as const)("on %s", (rules) => {
  beforeEach(() => {
    platform.rules = rules;
  });

  it("an outage then a teacher's grade: the retry never overwrites the teacher", async () => {
    const sub = `${rules}-outage-${n}`;
    const placed = await place("course-1");
    await learnerLaunches(sub, placed);
    platform.failNextScores(1000);
    await attempt(sub, 3);
    await eventually(
      async () => postsFor(sub).length,
      (count) => count >= 2,
    );
    // The teacher overrides the grade while our score is still being retried.
    platform.teacherGrades(placed.item.id, sub, 2);
    platform.failNextScores(0);
    const [row] = await settled(sub, 1);
    expect(row).toMatchObject({
      status: "superseded",
      lastStatusCode: rules === "moodle" ? 409 : 400,
      lastError: `HTTP ${rules === "moodle" ? 409 : 400}: the platform holds a newer score`,
    });
    expect(placed.item.gradebook.get(sub)).toBe(2);
    // Every retry sent the same frozen body.
    expect(new Set(postsFor(sub).map((post) => JSON.stringify(post.score))).size).toBe(1);
  });

  it("out-of-order retries under best: a pending lower score is superseded, a lower grade sends nothing", async () => {
    const sub = `${rules}-best-${n}`;
    const placed = await place("course-1");
    await learnerLaunches(sub, placed);
    platform.failNextScores(1000);
    const first = await attempt(sub, 2);
    await eventually(
      async () => postsFor(sub).length,
      (count) => count >= 1,
    );
    const second = await attempt(sub, 3);
    platform.failNextScores(0);
    const rows = await settled(sub, 2);
    expect(rows.find((row) => row.submissionId === first.id)?.status).toBe("superseded");
    expect(rows.find((row) => row.submissionId === second.id)).toMatchObject({ status: "delivered" });
    expect(placed.item.gradebook.get(sub)).toBe(3);
    // The accepted scores never went 3 → 2.
    expect(placed.item.scores.filter((s) => s.userId === sub).map((s) => s.scoreGiven)).toEqual([3]);
    // The pending 2 stood aside here once the 3 was made: only the outage ever saw it, never the platform's rules.
    expect(
      postsFor(sub)
        .filter((post) => post.status !== 503)
        .map((post) => post.score.scoreGiven),
    ).toEqual([3]);

    const lower = await attempt(sub, 1);
    expect((await scoresOf(sub)).some((row) => row.submissionId === lower.id)).toBe(false);
    expect(placed.item.gradebook.get(sub)).toBe(3);
    // Under best the comment describes the attempt whose score is sent.
    const sent = rows.find((row) => row.submissionId === second.id);
    expect(sent?.score.comment).toContain(": 3/3");
  });

  it("two attempts in one second: both reach the gradebook, each in a whole second of its own", async () => {
    const sub = `${rules}-same-second-${n}`;
    const placed = await place("course-1");
    await learnerLaunches(sub, placed);
    // Start at the top of a second, so the second attempt is made in the first one's second.
    await eventually(
      async () => Date.now() % 1000,
      (ms) => ms < 100,
      2000,
    );
    const first = await attempt(sub, 2);
    // The first score is in the gradebook before the second attempt is made (else the second supersedes it here).
    await eventually(
      async () => placed.item.gradebook.get(sub),
      (score) => score === 2,
      2000,
    );
    const later = await attempt(sub, 3);
    const wholeSecond = (iso: string) => Math.floor(Date.parse(iso) / 1000);
    // What the story is about: both grades were made within one whole second.
    expect(wholeSecond(later.gradedAt), "the two attempts were graded in different seconds").toBe(
      wholeSecond(first.gradedAt),
    );
    const rows = await settled(sub, 2);
    expect(rows.map((row) => row.status)).toEqual(["delivered", "delivered"]);
    const [newer, older] = rows.map((row) => wholeSecond(row.score.timestamp));
    expect(newer).toBeGreaterThan(older ?? 0);
    expect(placed.item.gradebook.get(sub)).toBe(3);
  });

  it("a learner in one course: the grade goes only to the line item they launched, in that course", async () => {
    const sub = `${rules}-courses-${n}`;
    const here = await place("course-1");
    const elsewhere = await place(`course-2-${n}`);
    // Enrolled in both courses, launched only from the first.
    platform.courses.set(elsewhere.item.course, new Set([sub]));
    await learnerLaunches(sub, here);
    await attempt(sub, 3);
    const [row] = await settled(sub, 1);
    expect(row).toMatchObject({ status: "delivered" });
    expect(here.item.gradebook.get(sub)).toBe(3);
    expect(platform.scorePosts.filter((post) => post.lineItemId === elsewhere.item.id)).toEqual([]);
  });

  it("an instructor's Check sends no score", async () => {
    const sub = `${rules}-instructor-${n}`;
    const placed = await place("course-1");
    await learnerLaunches(sub, placed, [INSTRUCTOR]);
    await attempt(sub, 3);
    // The grade is committed when the API answers: no score was enqueued in its transaction.
    expect(await scoresOf(sub)).toEqual([]);
    expect(postsFor(sub)).toEqual([]);
  });
});

describe("Canvas's attempt limit", () => {
  beforeEach(() => {
    platform.rules = "canvas";
  });

  it("re-grades do not count as new submission attempts", async () => {
    const sub = `canvas-limit-${n}`;
    const placed = await place("course-1");
    platform.attemptLimit = 1;
    await learnerLaunches(sub, placed);
    await attempt(sub, 1);
    await settled(sub, 1);
    await attempt(sub, 2);
    await attempt(sub, 3);
    const rows = await eventually(
      () => scoresOf(sub),
      (items) => items.some((row) => row.status === "delivered" && row.score.scoreGiven === 3),
      15_000,
    );
    expect(rows.every((row) => row.status !== "failed")).toBe(true);
    expect(placed.item.gradebook.get(sub)).toBe(3);
    expect(placed.item.attempts.get(sub)).toBe(1);
    const regrade = rows.find((row) => row.score.scoreGiven === 3)?.score;
    expect(regrade?.["https://canvas.instructure.com/lti/submission"]).toEqual({ new_submission: false });
  });

  it("a 422 at the limit is final: recorded with its status and a fixed reason, not retried", async () => {
    const sub = `canvas-refused-${n}`;
    const placed = await place("course-1");
    platform.attemptLimit = 0;
    await learnerLaunches(sub, placed);
    await attempt(sub, 3);
    const [row] = await settled(sub, 1);
    expect(row).toMatchObject({
      status: "failed",
      attempts: 1,
      lastStatusCode: 422,
      lastError: "HTTP 422: refused by the receiver",
    });
    expect(JSON.stringify(row)).not.toContain("maximum number");
    expect(postsFor(sub)).toHaveLength(1);
  });
});
