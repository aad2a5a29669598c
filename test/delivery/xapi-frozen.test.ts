import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { xapiWarnings } from "../submissions/exports/xapi-validator.js";
import { fast } from "../support/webhook-steps.js";

/** A grade's exports, read back over HTTP after what could change them has changed. */
let t: TestApp;
let lms: { id: string; auth: string };
let submissionId: string;

beforeAll(async () => {
  // The client's homePage is changed straight in the database below: no cached copy of the client.
  t = await buildTestApp({
    cacheTtlMs: 0,
    ...fast({ workerEnabled: false, maxAttempts: 1 }),
  });
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"]);
  await t.prisma.apiClient.update({ where: { id: lms.id }, data: { homePage: "https://moodle.example" } });
  // A real grade from the real engine: the container does not exist, so every check fails.
  const graded = await request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", lms.auth)
    .send({ learnerId: "frozen-1", containerName: "no-such-container-frozen" })
    .expect(201);
  submissionId = graded.body.id;
});
afterAll(() => t?.close());

const exportOf = (format: string, query = "") =>
  request(t.app.server).get(`/v1/submissions/${submissionId}/export/${format}${query}`).set("authorization", lms.auth);

describe("the xAPI statement of a grade", () => {
  it("is frozen when graded: a changed homePage changes neither the export nor /statements", async () => {
    const first = (await exportOf("xapi").expect(200)).body;
    expect(xapiWarnings(first)).toEqual([]);
    expect(first.actor.account.homePage).toBe("https://moodle.example");
    expect(first).not.toHaveProperty("version");

    await t.prisma.apiClient.update({ where: { id: lms.id }, data: { homePage: "https://moved.example" } });
    expect((await exportOf("xapi").expect(200)).body).toEqual(first);
    const listed = await request(t.app.server)
      .get("/v1/learners/frozen-1/statements")
      .set("authorization", lms.auth)
      .expect(200);
    expect(listed.body.items).toEqual([first]);
  });

  it("of a grade made before statements were stored is frozen at its first read", async () => {
    await t.prisma.xapiStatement.delete({ where: { id: submissionId } });
    const rendered = (await exportOf("xapi").expect(200)).body;
    expect(rendered.actor.account.homePage).toBe("https://moved.example");
    await t.prisma.apiClient.update({ where: { id: lms.id }, data: { homePage: "https://third.example" } });
    expect((await exportOf("xapi").expect(200)).body).toEqual(rendered);
  });
});

describe("export options", () => {
  it("give XQueue points, and show Gradescope's expected values only on request", async () => {
    const points = (await exportOf("xqueue").expect(200)).body;
    expect(points).toMatchObject({ correct: false, score: 0 });
    const gradescope = (await exportOf("gradescope").expect(200)).body;
    expect(gradescope.stdout_visibility).toBe("hidden");
    expect(gradescope.tests[0].output).not.toContain("expected:");
    const shown = (await exportOf("gradescope", "?showExpected=true").expect(200)).body;
    expect(shown.tests[0].output).toContain("expected:");
  });

  it("answer 400 naming the field for a bad value", async () => {
    for (const [query, field] of [
      ["?maxPoints=-3", "maxPoints"],
      ["?maxPoints=lots", "maxPoints"],
      ["?showExpected=yes", "showExpected"],
    ]) {
      const refused = await exportOf("xqueue", query).expect(400);
      expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(refused.body), query).toContain(field);
    }
  });
});
