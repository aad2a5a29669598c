import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * Marta's LMS imported her history, so many of her submissions share a timestamp. Her list pages
 * back newest first and her xAPI statements oldest first, each submission exactly once, whatever
 * the page size: the keyset cursor breaks ties on the id.
 */

let t: TestApp;
const LEARNER = "marta";
const expected: { id: string; gradedAt: Date }[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  await t.prisma.learner.create({ data: { clientId: t.clientId, id: LEARNER } });
  const grade = {
    checks: [],
    hints: [],
    evidence: { State: { Running: false } },
    passed: false,
    score: 0,
    maxScore: 5,
    language: "es",
    durationMs: 3,
  };
  // Three timestamps, four submissions each: ties within every page boundary.
  for (const minute of [1, 2, 3]) {
    for (let i = 0; i < 4; i++) {
      const row = await t.prisma.submission.create({
        data: {
          clientId: t.clientId,
          learnerId: LEARNER,
          exerciseId: "alpine-una-vez",
          containerName: "alpine-una-vez",
          gradedAt: new Date(Date.UTC(2026, 10, 1, 10, minute)),
          ...grade,
        },
      });
      expected.push({ id: row.id, gradedAt: row.gradedAt });
    }
  }
});
afterAll(async () => {
  await t?.close();
});

const newestFirst = () =>
  [...expected].sort((a, b) => b.gradedAt.getTime() - a.gradedAt.getTime() || (a.id < b.id ? 1 : -1)).map((s) => s.id);

async function readAll(path: string, limit: number) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const response: request.Response = await request(t.app.server)
      .get(path)
      .query(cursor ? { limit, cursor } : { limit })
      .set("authorization", t.auth)
      .expect(200);
    for (const item of response.body.items) {
      expect(item).not.toHaveProperty("evidence");
      ids.push(item.id);
    }
    cursor = response.body.nextCursor;
  } while (cursor);
  return ids;
}

describe("a learner's history with tied timestamps", () => {
  it.each([1, 3, 5, 100])("pages newest first, each submission once, %i per page", async (limit) => {
    expect(await readAll(`/v1/learners/${LEARNER}/submissions`, limit)).toEqual(newestFirst());
  });

  it.each([1, 5])("exports statements oldest first, each once, %i per page", async (limit) => {
    expect(await readAll(`/v1/learners/${LEARNER}/statements`, limit)).toEqual(newestFirst().reverse());
  });

  it("filters by exercise with the same order", async () => {
    expect(await readAll(`/v1/learners/${LEARNER}/submissions?exerciseId=alpine-una-vez`, 5)).toEqual(newestFirst());
    const none = await request(t.app.server)
      .get(`/v1/learners/${LEARNER}/submissions?exerciseId=alpine-interactivo`)
      .set("authorization", t.auth)
      .expect(200);
    expect(none.body).toEqual({ items: [], nextCursor: null });
  });

  it("answers 404 for a learner this client never used, and an empty page for one without submissions", async () => {
    await request(t.app.server).get("/v1/learners/nadie/submissions").set("authorization", t.auth).expect(404);
    await request(t.app.server).get("/v1/learners/nadie/statements").set("authorization", t.auth).expect(404);
    await t.prisma.learner.create({ data: { clientId: t.clientId, id: "sin-envios" } });
    const empty = await request(t.app.server)
      .get("/v1/learners/sin-envios/submissions")
      .set("authorization", t.auth)
      .expect(200);
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });
});
