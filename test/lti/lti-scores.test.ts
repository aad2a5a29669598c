import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  placeThrough,
  serveTool,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { fast } from "../support/webhook-steps.js";

/**
 * The whole LTI story on the real engine and database: a teacher deep-links an exercise, a learner
 * launches it, the learner's container is graded, and the score arrives in the platform's gradebook.
 */
let t: TestApp;
let platform: LtiPlatformDouble;
let lms: { id: string; auth: string };
let lineItem: LineItem;
const container = `lti-alpine-${uniqueSuffix()}`;
/** A sub with a character learner ids cannot hold, so the learner id and the AGS userId differ. */
const sub = "moodle|7";
/** The learner the sub becomes on this platform. */
const learner = () => learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub);

/** Login, platform authorization and launch, as the learner's browser does them. */
async function launch() {
  const landed = await launchThrough(t.app.server, platform, platform.nextLaunch);
  // A deep-linking launch answers the picker (200); a learner's launch signs in and redirects (303).
  expect([200, 303], landed.text).toContain(landed.status);
  return landed;
}

const grade = (containerName: string) =>
  request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", lms.auth)
    .send({ learnerId: learner(), containerName })
    .expect(201);
const scores = async () =>
  (await request(t.app.server).get("/v1/lti/scores").set("authorization", lms.auth).expect(200)).body.items as {
    submissionId: string;
    userId: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
  }[];
const settledScoreOf = async (submissionId: string) =>
  (
    await eventually(scores, (items) => items.some((s) => s.submissionId === submissionId && s.status !== "pending"))
  ).find((s) => s.submissionId === submissionId);

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ ...fast(), secretsKey: randomBytes(32) });
  // The platform fetches the tool's JWKS over HTTP, so the tool listens on a real port.
  await serveTool(t.app, platform);
  const admin = await createTestClient(t.prisma, ["admin"]);
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "webhooks:manage", "engine:shared"]);
  await request(t.app.server)
    .post("/v1/lti/platforms")
    .set("authorization", admin.auth)
    .send(platform.registrationFor(lms.id))
    .expect(201);
  platform.enrolled.add(sub);
  await docker(["run", "--name", container, "alpine"]);
});
afterAll(async () => {
  await docker(["rm", "-f", container]).catch(() => {});
  await t?.close();
  await platform?.close();
});

describe("an exercise placed with deep linking", () => {
  it("creates a line item for it in the platform, worth the exercise's points", async () => {
    lineItem = await platform.returnDeepLink(
      await placeThrough(t.app.server, platform, ["exercise:alpine-una-vez"], { sub: "teacher-1" }),
    );
    expect(lineItem).toMatchObject({ resourceId: "alpine-una-vez", url: expect.stringContaining("?type_id=1") });
  });

  it("learns its line item at the learner's launch", async () => {
    platform.nextLaunch = {
      sub,
      custom: { exercise_id: "alpine-una-vez" },
      placement: { resourceLinkId: "link-1", lineItemId: lineItem.id },
    };
    await launch();
    const placements = await request(t.app.server).get("/v1/lti/placements").set("authorization", lms.auth).expect(200);
    expect(placements.body.items).toEqual([
      expect.objectContaining({ exerciseId: "alpine-una-vez", lineitemUrl: lineItem.url, gradePolicy: "best" }),
    ]);
  });
});

describe("a grade of a learner who came through LTI", () => {
  it("reaches the gradebook: the sub as userId, the points, a timestamp frozen when the grade was made", async () => {
    const passed = (await grade(container)).body;
    expect(passed.status).toBe("passed");
    expect(await settledScoreOf(passed.id)).toMatchObject({ status: "delivered", attempts: 1, userId: sub });
    const [received] = lineItem.scores as Record<string, unknown>[];
    expect(received).toMatchObject({
      userId: sub,
      scoreGiven: passed.score,
      scoreMaximum: lineItem.scoreMaximum,
      gradingProgress: "FullyGraded",
      activityProgress: "Completed",
      submission: { submittedAt: passed.gradedAt },
    });
    // The grading time, not the sending time: a retry can never be newer than what replaced it.
    expect(Date.parse(String(received?.timestamp))).toBe(Date.parse(passed.gradedAt));

    // The export names the learner by the sub too, since platforms refuse any other userId.
    const exported = await request(t.app.server)
      .get(`/v1/submissions/${passed.id}/export/lti-ags`)
      .set("authorization", lms.auth)
      .expect(200);
    expect(exported.body.userId).toBe(sub);
  });

  it("under the best policy, a later failed attempt sends nothing: the gradebook keeps the best", async () => {
    const failed = (await grade(`${container}-missing`)).body;
    expect(failed.score).toBe(0);
    // Enqueued, or not, in the grade's own transaction: the API has answered, so nothing will come.
    expect((await scores()).some((s) => s.submissionId === failed.id)).toBe(false);
    expect(lineItem.scores).toHaveLength(1);
    expect(lineItem.scores.at(-1)).toMatchObject({ scoreGiven: lineItem.scoreMaximum, activityProgress: "Completed" });
  });

  it("under the latest policy, posts each attempt's own score", async () => {
    const [placement] = (await request(t.app.server).get("/v1/lti/placements").set("authorization", lms.auth)).body
      .items;
    await request(t.app.server)
      .put(`/v1/lti/placements/${placement.id}/grade-policy`)
      .set("authorization", lms.auth)
      .send({ gradePolicy: "latest" })
      .expect(200);
    const failed = (await grade(`${container}-missing`)).body;
    expect(await settledScoreOf(failed.id)).toMatchObject({ status: "delivered" });
    expect(lineItem.scores.at(-1)).toMatchObject({ scoreGiven: 0 });
    await request(t.app.server)
      .put(`/v1/lti/placements/${placement.id}/grade-policy`)
      .set("authorization", lms.auth)
      .send({ gradePolicy: "worst" })
      .expect(400);
  });

  it("gets one access token for all of its scores: it is cached until it expires", () => {
    expect(lineItem.scores.length).toBe(2);
    expect(platform.tokenRequests).toBe(1);
  });

  it("is recorded as superseded, not retried, when the platform holds a newer score (Moodle 409, Canvas 400)", async () => {
    for (const rules of ["moodle", "canvas"] as const) {
      platform.rules = rules;
      // A teacher's own grade, entered in the gradebook after ours.
      lineItem.lastTimestamp.set(sub, new Date(Date.now() + 3600_000).toISOString());
      const attempt = (await grade(container)).body;
      expect(await settledScoreOf(attempt.id), rules).toMatchObject({
        status: "superseded",
        attempts: 1,
        lastStatusCode: rules === "moodle" ? 409 : 400,
        // The platform's words go to the service's log only.
        lastError: `HTTP ${rules === "moodle" ? 409 : 400}: the platform holds a newer score`,
      });
    }
    expect(lineItem.scores.length).toBe(2);
  });
});
