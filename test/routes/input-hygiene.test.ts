import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/** Inputs an attacker found answering 500 or accepted: each is a 400 that names its field, and stores nothing. */
let t: TestApp;
let admin: string;
let webhookId: string;

beforeAll(async () => {
  t = await buildTestApp({ labEngineAllowlist: ["tcp://127.0.0.1:*"] });
  admin = (await createTestClient(t.prisma, ["admin"], "hygiene admin")).auth;
  await request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", admin)
    .send({ learnerId: "ana", containerName: "hygiene-no-such-container" })
    .expect(201);
  const webhook = await request(t.app.server)
    .post("/v1/webhooks")
    .set("authorization", admin)
    .send({ url: "http://127.0.0.1:9/hook", events: ["submission.graded"] })
    .expect(201);
  webhookId = webhook.body.id;
});
afterAll(() => t.close());

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function expectFieldProblem(response: request.Response, field: string) {
  expect(response.status, response.text).toBe(400);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(field);
}

describe("a cursor this API did not return", () => {
  const lists = () => [
    "/v1/clients",
    "/v1/webhooks",
    `/v1/webhooks/${webhookId}/deliveries`,
    "/v1/learners/ana/submissions",
    "/v1/learners/ana/statements",
  ];
  it.each([
    ["an id that is not a UUID", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIm5vdC1hLXV1aWQiXQ"],
    ["a date out of range", cursorOf(["0000-01-01T00:00:00.000Z", "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b"])],
    ["a date that is no date", cursorOf(["yesterday", "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b"])],
    ["not JSON at all", "bm90IGpzb24"],
  ])("with %s is a 400 naming querystring.cursor on every list", async (_label, cursor) => {
    for (const list of lists()) {
      const response = await request(t.app.server).get(list).query({ cursor }).set("authorization", admin);
      expectFieldProblem(response, "querystring.cursor");
    }
  });
});

describe("a NUL character, which PostgreSQL cannot store in text", () => {
  it("in a client name, a webhook URL or a lab URL is a 400 naming the field", async () => {
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/clients")
        .set("authorization", admin)
        .send({ name: "lms\u0000", scopes: ["content:read"] }),
      "body.name",
    );
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/webhooks")
        .set("authorization", admin)
        .send({ url: "http://127.0.0.1:9/\u0000", events: ["submission.graded"] }),
      "body.url",
    );
    expectFieldProblem(
      await request(t.app.server)
        .put("/v1/learners/ana/lab")
        .set("authorization", admin)
        .send({ engineUrl: "tcp://127.0.0.1:2376\u0000" }),
      "body.engineUrl",
    );
    expect(await t.prisma.apiClient.count({ where: { name: { startsWith: "lms" } } })).toBe(0);
    expect(await t.prisma.learnerLab.count()).toBe(0);
  });

  it("anywhere in a nested body is found and named", async () => {
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/webhooks")
        .set("authorization", admin)
        .send({ url: "http://127.0.0.1:9/hook", events: ["submission.graded\u0000"] }),
      "body.events.0",
    );
  });
});

describe("learner ids and lab URLs that were accepted", () => {
  it.each([".", ".."])("refuses the learner id %j", async (learnerId) => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", admin)
      .send({ learnerId, containerName: "hygiene-no-such-container" });
    expectFieldProblem(response, "body.learnerId");
    expect(await t.prisma.learner.count({ where: { id: learnerId } })).toBe(0);
  });

  it("refuses a lab port above 65535", async () => {
    const response = await request(t.app.server)
      .put("/v1/learners/ana/lab")
      .set("authorization", admin)
      .send({ engineUrl: "tcp://127.0.0.1:70000" });
    expectFieldProblem(response, "body.engineUrl");
    expect(await t.prisma.learnerLab.count()).toBe(0);
  });
});

describe("a body nested deeper than any schema", () => {
  it("is answered with a 4xx, not a stack overflow", async () => {
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    const response = await request(t.app.server)
      .post("/v1/clients")
      .set("authorization", admin)
      .set("content-type", "application/json")
      .send(deep);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
