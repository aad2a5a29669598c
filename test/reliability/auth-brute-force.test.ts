import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * Guessing API keys. The attack sent 700 random keys and got 700 answers of 401, because the
 * per-client rate limit only runs once a client is known. Failed authentications now have a budget
 * per IP of their own (AUTH_FAILURES_PER_MINUTE, 30 by default).
 */

const randomKey = () => `Bearer adk_${randomBytes(32).toString("base64url")}`;

async function listWebhooksWith(t: TestApp, authorization: string) {
  return request(t.app.server).get("/v1/webhooks").set("authorization", authorization);
}

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("failed authentications from one address", () => {
  it("reach 429 with Retry-After after the default 30 a minute, and then even a valid key waits", async () => {
    t = await buildTestApp();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await listWebhooksWith(t, randomKey())).status);
    expect(statuses).toEqual([...Array(30).fill(401), ...Array(10).fill(429)]);

    const limited = await listWebhooksWith(t, randomKey());
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toContain("application/problem+json");
    expect(limited.body).toMatchObject({
      status: 429,
      type: expect.stringMatching(/too-many-failed-authentications$/),
    });
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // A right guess would be told apart from a wrong one if it were looked up, so it is not.
    expect((await listWebhooksWith(t, t.auth)).status).toBe(429);
    // Requests without a key guess nothing and are not held back.
    await request(t.app.server).get("/v1/lessons").expect(200);
  });

  it("are counted apart from successful ones, malformed headers included", async () => {
    t = await buildTestApp({ authFailuresPerMinute: 3 });
    for (let i = 0; i < 10; i++) expect((await listWebhooksWith(t, t.auth)).status).toBe(200);
    expect((await listWebhooksWith(t, "Basic YWRtaW46YWRtaW4=")).status).toBe(401);
    expect((await listWebhooksWith(t, randomKey())).status).toBe(401);
    expect((await listWebhooksWith(t, "Bearer")).status).toBe(401);
    const fourth = await listWebhooksWith(t, randomKey());
    expect(fourth.status).toBe(429);
    expect(fourth.headers["retry-after"]).toBeDefined();
  });
});
