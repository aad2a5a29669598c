import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/**
 * An LMS signs one learner into the page: the session grades and reads that learner only, in a
 * browser through a cookie or anywhere through its token, until it expires or is revoked.
 */
let t: TestApp;
const container = `alpine-una-vez-${uniqueSuffix()}`;

beforeAll(async () => {
  t = await buildTestApp();
  await docker(["run", "--name", container, "alpine"]);
});
afterAll(async () => {
  await docker(["rm", "-f", container]).catch(() => {});
  await t?.close();
});

async function mint(learnerId: string, body: object = {}, auth = t.auth) {
  const response = await request(t.app.server)
    .post(`/v1/learners/${learnerId}/sessions`)
    .set("authorization", auth)
    .send(body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; token: string; url: string; expiresAt: string; learnerId: string };
}

const grade = (bearer: string, learnerId: string) =>
  request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", `Bearer ${bearer}`)
    .send({ learnerId, containerName: container });

describe("a session minted by an API client", () => {
  it("answers a token, a link and an expiry, and stores only the token's hash", async () => {
    const before = Date.now();
    const session = await mint("lucia", { ttlSeconds: 600 });
    expect(session.token).toMatch(/^ads_[A-Za-z0-9_-]{43}$/);
    expect(session.url).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/session\?token=ads_/);
    expect(new URL(session.url).searchParams.get("token")).toBe(session.token);
    const expires = Date.parse(session.expiresAt) - before;
    expect(expires).toBeGreaterThan(590_000);
    expect(expires).toBeLessThan(610_000);
    const stored = await t.prisma.learnerSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(session.token.slice(4));
  });

  it("grades and reads its own learner, with the client's engine:shared grant", async () => {
    const { token } = await mint("lucia");
    const graded = await grade(token, "lucia");
    expect(graded.status, JSON.stringify(graded.body)).toBe(201);
    expect(graded.body).toMatchObject({ learnerId: "lucia", status: "passed" });
    const submissions = await request(t.app.server)
      .get("/v1/learners/lucia/submissions")
      .set("authorization", `Bearer ${token}`);
    expect(submissions.status).toBe(200);
    expect(submissions.body.items.map((s: { id: string }) => s.id)).toContain(graded.body.id);
    const progress = await request(t.app.server)
      .get("/v1/learners/lucia/progress")
      .set("authorization", `Bearer ${token}`);
    expect(progress.status).toBe(200);
    expect(
      progress.body.exercises.find((e: { exerciseId: string }) => e.exerciseId === "alpine-una-vez"),
    ).toMatchObject({
      passed: true,
    });
    const me = await request(t.app.server).get("/v1/session").set("authorization", `Bearer ${token}`);
    expect(me.body).toMatchObject({ learnerId: "lucia" });
  });

  it("refuses another learner, the client's routes and admin, naming why", async () => {
    const { token } = await mint("lucia");
    const other = await grade(token, "marta");
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ type: expect.stringContaining("session-refused") });
    expect(other.body.detail).toContain("body.learnerId");
    for (const path of ["/v1/learners/marta/progress", "/v1/learners/marta/submissions"]) {
      const response = await request(t.app.server).get(path).set("authorization", `Bearer ${token}`);
      expect(response.status, path).toBe(403);
      expect(response.body.detail).toContain("params.learnerId");
    }
    for (const [method, path] of [
      ["get", "/v1/clients"],
      ["get", "/v1/webhooks"],
      ["get", "/v1/learners/lucia/lab"],
      ["get", "/v1/learners/lucia/statements"],
      ["post", "/v1/learners/lucia/sessions"],
      ["post", "/v1/learners/lucia/lessons/que-es-docker/complete"],
    ] as const) {
      const response = await request(t.app.server)[method](path).set("authorization", `Bearer ${token}`).send({});
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.headers["content-type"]).toContain("application/problem+json");
    }
    // The course itself is public, for sessions as for anyone.
    expect((await request(t.app.server).get("/v1/lessons").set("authorization", `Bearer ${token}`)).status).toBe(200);
  });

  it("needs submissions:write to mint, and a learner id that is well-formed", async () => {
    const reader = await createTestClient(t.prisma, ["progress:read"]);
    const refused = await request(t.app.server).post("/v1/learners/lucia/sessions").set("authorization", reader.auth);
    expect(refused.status).toBe(403);
    expect(refused.body.requiredScope).toBe("submissions:write");
    const bad = await request(t.app.server)
      .post("/v1/learners/lucia/sessions")
      .set("authorization", t.auth)
      .send({ ttlSeconds: 5 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("body.ttlSeconds");
    const badId = await request(t.app.server).post("/v1/learners/a%20b/sessions").set("authorization", t.auth);
    expect(badId.status).toBe(400);
    expect(badId.body.errors[0].path).toBe("params.learnerId");
  });

  it("expires: 401 session-expired, which a page can tell from a wrong token", async () => {
    const session = await mint("lucia");
    await t.prisma.learnerSession.update({
      where: { id: session.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const response = await grade(session.token, "lucia");
    expect(response.status).toBe(401);
    expect(response.body.type).toContain("session-expired");
    expect(response.headers["www-authenticate"]).toContain("invalid_token");
    const unknown = await grade(`ads_${"x".repeat(43)}`, "lucia");
    expect(unknown.status).toBe(401);
    expect(unknown.body.type).toContain("unauthorized");
  });

  it("is revoked by its client, or by itself, and then stops working at once", async () => {
    const first = await mint("lucia");
    const otherClient = await createTestClient(t.prisma, ["submissions:write"]);
    await request(t.app.server)
      .delete(`/v1/learners/lucia/sessions/${first.id}`)
      .set("authorization", otherClient.auth)
      .expect(404);
    await request(t.app.server)
      .delete(`/v1/learners/lucia/sessions/${first.id}`)
      .set("authorization", t.auth)
      .expect(204);
    expect((await grade(first.token, "lucia")).status).toBe(401);

    const second = await mint("lucia");
    await request(t.app.server).delete("/v1/session").set("authorization", `Bearer ${second.token}`).expect(204);
    expect((await request(t.app.server).get("/v1/session").set("authorization", `Bearer ${second.token}`)).status).toBe(
      401,
    );
  });
});

describe("the link a browser opens", () => {
  it("sets an HttpOnly cookie and redirects to the page without the token", async () => {
    const session = await mint("lucia");
    const opened = await request(t.app.server).get(new URL(session.url).pathname + new URL(session.url).search);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/");
    const cookie = String(opened.headers["set-cookie"]);
    expect(cookie).toMatch(/^aprendiendo_session=ads_/);
    expect(cookie).toContain("HttpOnly");
    // Plain http (localhost): SameSite=None would be dropped without Secure, so Lax.
    expect(cookie).toContain("SameSite=Lax");
    const pair = cookie.split(";")[0] ?? "";

    const graded = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("cookie", pair)
      .set("host", "learn.example")
      .set("origin", "http://learn.example")
      .send({ learnerId: "lucia", containerName: container });
    expect(graded.status, JSON.stringify(graded.body)).toBe(201);

    const crossSite = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("cookie", pair)
      .set("host", "learn.example")
      .set("origin", "https://evil.example")
      .send({ learnerId: "lucia", containerName: container });
    expect(crossSite.status).toBe(403);
    // The cookie reaches only the routes sessions may use: elsewhere it is no credential at all.
    expect((await request(t.app.server).get("/v1/clients").set("cookie", pair)).status).toBe(401);
  });

  it("behind a trusted TLS proxy (inside an LMS's iframe) the cookie is SameSite=None; Secure; Partitioned", async () => {
    const proxied = await buildTestApp({ trustProxy: true });
    try {
      const minted = await request(proxied.app.server)
        .post("/v1/learners/iris/sessions")
        .set("authorization", proxied.auth)
        .send({})
        .expect(201);
      const link = new URL(minted.body.url, "http://placeholder");
      const opened = await request(proxied.app.server)
        .get(link.pathname + link.search)
        .set("x-forwarded-proto", "https")
        .expect(303);
      const cookie = String(opened.headers["set-cookie"]);
      expect(cookie).toContain("Secure");
      expect(cookie).toContain("SameSite=None");
      expect(cookie).toContain("Partitioned");
    } finally {
      await proxied.close();
    }
  });

  it("believes X-Forwarded-Proto only from a trusted proxy", async () => {
    const minted = await request(t.app.server)
      .post("/v1/learners/iris/sessions")
      .set("authorization", t.auth)
      .send({})
      .expect(201);
    const link = new URL(minted.body.url, "http://placeholder");
    const opened = await request(t.app.server)
      .get(link.pathname + link.search)
      .set("x-forwarded-proto", "https")
      .expect(303);
    expect(String(opened.headers["set-cookie"])).toContain("SameSite=Lax");
    expect(String(opened.headers["set-cookie"])).not.toContain("Secure");
  });

  it("an expired or unknown link lands on the page, which says which", async () => {
    const session = await mint("lucia");
    await t.prisma.learnerSession.update({
      where: { id: session.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await request(t.app.server).get(`/session?token=${session.token}`);
    expect(expired.status).toBe(303);
    expect(expired.headers.location).toBe("/?session=expired");
    const unknown = await request(t.app.server).get(`/session?token=ads_${"y".repeat(43)}`);
    expect(unknown.headers.location).toBe("/?session=invalid");
  });
});
