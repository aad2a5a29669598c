import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import pg from "pg";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  type LaunchSpec,
  type LineItem,
  type LtiPlatformDouble,
  launchThrough,
  placeThrough,
  sessionCookieOf,
  startLtiPlatform,
} from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { answersScoring } from "../support/question-answers.js";
import { fast } from "../support/webhook-steps.js";

/**
 * A learner belongs to a platform (issue 25, item 1): two Moodle sites registered under one API
 * client, each with a user whose `sub` is 4242. They used to be one learner, who read the other
 * site's submissions and whose grade could land in the other site's gradebook. The exercise is a
 * question exercise (3 points, one per right answer), so no engine is needed.
 */
const EXERCISE = "preguntas-que-es-docker";
const SUB = "4242";
const MIGRATION = new URL(
  "../../prisma/migrations/20261214090000_lti_learner_per_platform/migration.sql",
  import.meta.url,
);
let t: TestApp;
let admin: { auth: string };
let lms: { id: string; auth: string };
const sites: { double: LtiPlatformDouble; platformId: string }[] = [];
const site = (index: 0 | 1) => {
  const found = sites[index];
  if (!found) throw new Error(`site ${index + 1} is not registered`);
  return found;
};
/** The id the tool gives a new user of a site. */
const newLearnerOf = (index: 0 | 1, sub: string) =>
  learnerIdOnPlatform({ issuer: site(index).double.issuer, platformClientId: site(index).double.clientId }, sub);

/** Login, platform authorization and launch, as the user's browser does them at `platform`. */
const launch = (platform: LtiPlatformDouble, spec: LaunchSpec) => launchThrough(t.app.server, platform, spec);

/** A teacher of `platform` places the exercise in its course: the line item the platform created. */
async function place(platform: LtiPlatformDouble): Promise<{ item: LineItem; resourceLinkId: string }> {
  const item = await platform.returnDeepLink(await placeThrough(t.app.server, platform, [`exercise:${EXERCISE}`]));
  return { item, resourceLinkId: `link-${item.id}` };
}

/** A user launches from their site (a placement, or the tool's link): the session cookie it set. */
async function signIn(platform: LtiPlatformDouble, sub: string, placed?: { item: LineItem; resourceLinkId: string }) {
  const landed = await launch(platform, {
    sub,
    ...(placed
      ? {
          custom: { exercise_id: EXERCISE },
          placement: { resourceLinkId: placed.resourceLinkId, lineItemId: placed.item.id },
        }
      : {}),
  });
  expect(landed.status, landed.text).toBe(303);
  return sessionCookieOf(landed);
}

const learnerOfSession = async (cookie: string) =>
  (await request(t.app.server).get("/v1/session").set("cookie", cookie).expect(200)).body.learnerId as string;
const read = (cookie: string, path: string) => request(t.app.server).get(path).set("cookie", cookie);

async function runMigration() {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    await client.query(await readFile(MIGRATION, "utf8"));
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  t = await buildTestApp({ ...fast({ maxAttempts: 30 }), secretsKey: randomBytes(32) });
  const origin = await t.app.listen({ port: 0, host: "127.0.0.1" });
  admin = await createTestClient(t.prisma, ["admin"]);
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "webhooks:manage"]);
  // One after the other: the migration lets the site registered first keep a shared id.
  for (let i = 0; i < 2; i++) {
    const double = await startLtiPlatform();
    double.trustTool(`${origin}/lti/jwks`);
    double.enrolled.add(SUB);
    const registered = await request(t.app.server)
      .post("/v1/lti/platforms")
      .set("authorization", admin.auth)
      .send(double.registrationFor(lms.id));
    expect(registered.status, registered.text).toBe(201);
    expect(registered.body.learnerIdPrefix).toMatch(/^lti-[0-9a-f]{12}-$/);
    sites.push({ double, platformId: registered.body.id });
  }
});
afterAll(async () => {
  await t?.close();
  for (const { double } of sites) await double.close();
});

describe("one sub at two platforms of one API client", () => {
  it("is two learners, who cannot read each other's work, and each grade goes to its own site only", async () => {
    const placed = [await place(site(0).double), await place(site(1).double)] as const;
    // Site 2's user launches first; site 1's user launches last, as in the issue.
    const cookie2 = await signIn(site(1).double, SUB, placed[1]);
    const cookie1 = await signIn(site(0).double, SUB, placed[0]);
    const learner1 = await learnerOfSession(cookie1);
    const learner2 = await learnerOfSession(cookie2);
    expect(learner1).not.toBe(learner2);
    expect(learner1).toMatch(/^lti-[0-9a-f]{12}-4242$/);
    expect([learner1, learner2]).toEqual([newLearnerOf(0, SUB), newLearnerOf(1, SUB)]);
    // The registration names the prefix, so an LMS can find its users' learner ids.
    const listed = await request(t.app.server).get("/v1/lti/platforms").set("authorization", admin.auth).expect(200);
    const prefixes = (listed.body.items as { id: string; learnerIdPrefix: string }[]).map((p) => p.learnerIdPrefix);
    expect(prefixes).toEqual([learner1.slice(0, -SUB.length), learner2.slice(0, -SUB.length)]);

    // Site 2's user answers after site 1's user launched: before, that grade went to site 1.
    for (const [cookie, learnerId, right] of [
      [cookie2, learner2, 1],
      [cookie1, learner1, 3],
    ] as const) {
      const graded = await request(t.app.server)
        .post(`/v1/exercises/${EXERCISE}/submissions`)
        .set("cookie", cookie)
        .send({ learnerId, answers: answersScoring(right) });
      expect(graded.status, graded.text).toBe(201);
    }

    for (const [cookie, own, other, score] of [
      [cookie1, learner1, learner2, 3],
      [cookie2, learner2, learner1, 1],
    ] as const) {
      const submissions = await read(cookie, `/v1/learners/${own}/submissions`).expect(200);
      expect(submissions.body.items.map((s: { score: number }) => s.score)).toEqual([score]);
      const progress = await read(cookie, `/v1/learners/${own}/progress`).expect(200);
      const exercises = progress.body.exercises as { exerciseId: string; attempts: number; bestScore: number }[];
      expect(exercises.find((e) => e.exerciseId === EXERCISE)).toMatchObject({ attempts: 1, bestScore: score });
      expect((await read(cookie, `/v1/learners/${other}/submissions`)).status).toBe(403);
      expect((await read(cookie, `/v1/learners/${other}/progress`)).status).toBe(403);
      // The API client sees them apart too.
      const asLms = await request(t.app.server)
        .get(`/v1/learners/${own}/submissions`)
        .set("authorization", lms.auth)
        .expect(200);
      expect(asLms.body.items.map((s: { score: number }) => s.score)).toEqual([score]);
    }

    await eventually(
      async () =>
        (await request(t.app.server).get("/v1/lti/scores").set("authorization", lms.auth).expect(200)).body.items as {
          status: string;
        }[],
      (rows) => rows.length === 2 && rows.every((row) => row.status === "delivered"),
      15_000,
    );
    expect(site(0).double.scorePosts.map((post) => [post.score.userId, post.score.scoreGiven])).toEqual([[SUB, 3]]);
    expect(site(1).double.scorePosts.map((post) => [post.score.userId, post.score.scoreGiven])).toEqual([[SUB, 1]]);
    expect(placed[0].item.gradebook.get(SUB)).toBe(3);
    expect(placed[1].item.gradebook.get(SUB)).toBe(1);
  });

  it("one issuer with two client_ids (two schools on Canvas's cloud) gives two learners as well", () => {
    const issuer = "https://canvas.instructure.com";
    expect(learnerIdOnPlatform({ issuer, platformClientId: "10000000000001" }, SUB)).not.toBe(
      learnerIdOnPlatform({ issuer, platformClientId: "10000000000002" }, SUB),
    );
  });
});

describe("learners linked before ids named their platform", () => {
  it("a user who launched before keeps their learner id and their work", async () => {
    const sub = "legacy-7";
    // As the earlier rule left it: the learner id is the sub itself, with a submission under it.
    await request(t.app.server)
      .post(`/v1/exercises/${EXERCISE}/submissions`)
      .set("authorization", lms.auth)
      .send({ learnerId: sub, answers: answersScoring(2) })
      .expect(201);
    await t.prisma.ltiLearner.create({ data: { platformId: site(0).platformId, sub, learnerId: sub } });

    const cookie = await signIn(site(0).double, sub);
    expect(await learnerOfSession(cookie)).toBe(sub);
    const submissions = await read(cookie, `/v1/learners/${sub}/submissions`).expect(200);
    expect(submissions.body.items.map((s: { score: number }) => s.score)).toEqual([2]);
    expect(
      await t.prisma.ltiLearner.findMany({ where: { sub }, select: { platformId: true, learnerId: true } }),
    ).toEqual([{ platformId: site(0).platformId, learnerId: sub }]);
  });

  it("the migration gives each site's user their own learner where two sites shared one, and changes no other link", async () => {
    // One readable sub and one the earlier rule digested, each shared by both sites under one id.
    const shared = [
      { sub: "99", learnerId: "99" },
      { sub: "moodle|8", learnerId: `lti-sha256:${"ab".repeat(32)}` },
    ];
    for (const { sub, learnerId } of shared) {
      await request(t.app.server)
        .post(`/v1/exercises/${EXERCISE}/submissions`)
        .set("authorization", lms.auth)
        .send({ learnerId, answers: answersScoring(3) })
        .expect(201);
      for (const { platformId } of sites) await t.prisma.ltiLearner.create({ data: { platformId, sub, learnerId } });
    }
    await t.prisma.ltiLearner.create({ data: { platformId: site(1).platformId, sub: "solo-5", learnerId: "solo-5" } });
    const session = await t.prisma.learnerSession.create({
      data: {
        clientId: lms.id,
        learnerId: "99",
        tokenHash: randomUUID(),
        expiresAt: new Date(Date.now() + 3600_000),
        scopes: ["progress:read"],
      },
    });
    const linksBefore = await t.prisma.ltiLearner.findMany({ orderBy: [{ platformId: "asc" }, { sub: "asc" }] });

    await runMigration();

    const linksAfter = await t.prisma.ltiLearner.findMany({ orderBy: [{ platformId: "asc" }, { sub: "asc" }] });
    expect(linksAfter).toHaveLength(linksBefore.length);
    const moved = shared.map(({ sub }) => ({ platformId: site(1).platformId, sub, learnerId: newLearnerOf(1, sub) }));
    const isMoved = (link: { platformId: string; sub: string }) =>
      link.platformId === site(1).platformId && shared.some((s) => s.sub === link.sub);
    // The SQL gives the ids the tool gives: both rules agree, digested sub included.
    expect(linksAfter.filter(isMoved)).toHaveLength(moved.length);
    expect(linksAfter.filter(isMoved)).toEqual(expect.arrayContaining(moved));
    expect(linksAfter.filter((link) => !isMoved(link))).toEqual(linksBefore.filter((link) => !isMoved(link)));
    for (const { learnerId } of moved) {
      expect(await t.prisma.learner.count({ where: { clientId: lms.id, id: learnerId } })).toBe(1);
    }
    // The shared learner's work stays with the site registered first; the shared id's sessions end.
    expect(await t.prisma.submission.count({ where: { clientId: lms.id, learnerId: "99" } })).toBe(1);
    expect((await t.prisma.learnerSession.findUniqueOrThrow({ where: { id: session.id } })).revokedAt).not.toBeNull();

    const cookie1 = await signIn(site(0).double, "99");
    const cookie2 = await signIn(site(1).double, "99");
    expect(await learnerOfSession(cookie1)).toBe("99");
    expect(await learnerOfSession(cookie2)).toBe(newLearnerOf(1, "99"));
    expect((await read(cookie2, "/v1/learners/99/submissions")).status).toBe(403);

    // Once split, running it again changes nothing.
    await runMigration();
    expect(await t.prisma.ltiLearner.findMany({ orderBy: [{ platformId: "asc" }, { sub: "asc" }] })).toEqual(
      linksAfter,
    );
  });
});
